import { whatsAppAccounts } from "../../src/adapters/whatsapp/normalize";
import type { WhatsAppWebhook } from "../../src/adapters/whatsapp/schema";
import { captureLogger, post, secretsFor, serveTest, signedHeaders } from "./support";

/*
 * Issue 9, defect 5: what one body costs on a shared route grows linearly with its size, and what is echoed in
 * the answer or written to the log is capped to a count and the first few ids, whatever the body names.
 */
const PHONE = "106540352242922";

function whatsAppStatuses(count: number) {
  const changes = Array.from({ length: count }, (_, index) => ({
    field: "messages",
    value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550783881", phone_number_id: PHONE },
      statuses: [
        {
          id: `wamid.bounded-${index}`,
          status: "sent",
          timestamp: String(1_750_030_073 + index),
          recipient_id: "16505551234",
        },
      ],
    },
  }));
  return { object: "whatsapp_business_account", entry: [{ id: "102290129340398", time: 1_750_030_073, changes }] };
}

describe("WhatsApp account split", () => {
  it("is linear: 20,000 changes of one phone number become one slice, in order, without copying per change", () => {
    const payload = whatsAppStatuses(20_000) as unknown as WhatsAppWebhook;
    const started = performance.now();
    const slices = whatsAppAccounts(payload);
    const elapsed = performance.now() - started;
    expect(slices.map((slice) => slice.account_id)).toEqual([PHONE]);
    const changes = slices[0]!.payload.entry.flatMap((entry) => entry.changes);
    expect(changes).toHaveLength(20_000);
    expect(changes[19_999]).toBe(payload.entry[0]!.changes[19_999]);
    // a linear split takes milliseconds; copying the list on every push took seconds (a very generous bound)
    expect(elapsed).toBeLessThan(2_000);
  });

  it("keeps each account's entries and changes in their original order across entries", () => {
    const change = (phone: string, id: string) => ({
      field: "messages",
      value: { metadata: { phone_number_id: phone }, id },
    });
    const payload = {
      object: "whatsapp_business_account",
      entry: [
        { id: "waba", changes: [change("p1", "a"), change("p2", "b"), change("p1", "c")] },
        { id: "waba", changes: [change("p2", "d"), change("p1", "e")] },
      ],
    } as unknown as WhatsAppWebhook;
    const ids = whatsAppAccounts(payload).map((slice) => [
      slice.account_id,
      slice.payload.entry.map((entry) =>
        entry.changes.map((item) => (item as { value: { id: string } }).value.id).join(""),
      ),
    ]);
    expect(ids).toEqual([
      ["p1", ["ac", "e"]],
      ["p2", ["b", "d"]],
    ]);
  });

  it("a body of many changes for one phone number on the shared route answers what the block route answers", async () => {
    const secrets = secretsFor("whatsapp").valid;
    const env = await serveTest({
      blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws", account_id: PHONE, secrets }],
      logger: captureLogger(),
      bodyLimit: 4 * 1024 * 1024,
    });
    const body = Buffer.from(JSON.stringify(whatsAppStatuses(2_000)));
    const shared = await post(env.url("/webhooks/whatsapp"), body, signedHeaders("whatsapp", body, secrets));
    const direct = await post(env.url("/webhooks/wa"), body, signedHeaders("whatsapp", body, secrets));
    expect(shared.status).toBe(200);
    expect(shared.json()).toEqual(direct.json());
    expect(shared.json()["events"]).toBe(2_000);
  }, 60_000);
});

describe("a Messenger body naming 26,000 unknown Pages", () => {
  const secrets = secretsFor("messenger").valid;
  const known = "112233445566778";
  const body = Buffer.from(
    JSON.stringify({
      object: "page",
      entry: [
        ...Array.from({ length: 26_000 }, (_, index) => ({
          id: `9${String(index).padStart(14, "0")}`,
          time: 1_795_252_530_900,
          messaging: [],
        })),
        {
          id: known,
          time: 1_795_252_530_900,
          messaging: [
            {
              sender: { id: "6543219876543210" },
              recipient: { id: known },
              timestamp: 1_795_252_535_000,
              message: { mid: "m_bounded", text: "hi" },
            },
          ],
        },
      ],
    }),
  );

  it("is acknowledged with a count and the first ten ids, logs as much, and the known Page's event goes through", async () => {
    const logger = captureLogger();
    // above the default caps on items and keys (a 413 then, see body-shape.test.ts): raised to test the split itself
    const env = await serveTest({
      blocks: [{ id: "page", platform: "messenger", workspace_id: "ws", account_id: known, secrets }],
      logger,
      bodyLimit: 4 * 1024 * 1024,
      maxItems: 100_000,
      maxKeys: 200_000,
    });
    const response = await post(env.url("/webhooks/messenger"), body, signedHeaders("messenger", body, secrets));
    expect(response.status).toBe(200);
    const answer = response.json() as { unrouted: string[]; unrouted_count: number; events: number };
    expect(answer.unrouted_count).toBe(26_000);
    expect(answer.unrouted).toHaveLength(10);
    expect(answer.unrouted[0]).toBe("900000000000000");
    expect(answer.events).toBe(1);
    expect(response.text.length).toBeLessThan(1_024);
    expect(env.sink.events.map((event) => event.block_id)).toEqual(["page"]);
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const line of logger.lines) expect(line.length).toBeLessThan(1_024);
    expect(logger.lines.some((line) => line.includes("26000"))).toBe(true);
  }, 60_000);
});
