import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { createWebhookHandler, type WebhookHandler } from "../../src/http";
import { createInspector, type Inspector } from "../../src/public/observe";

/*
 * A status held back by `statusOrder` is "acknowledged, counted, logged at debug, and visible in the inspector"
 * (issue 27): WhatsApp's `read` of a message, then its `sent` arriving late. The handler is the library's own,
 * with a real memory store; bodies are the fixtures, signed at run time.
 */
const normalizer = createNormalizer({ adapters });
const SECRETS = { app_secrets: ["superseded-test-app-secret"], verify_token: "superseded-verify" };
const fixture = (name: string) => readFileSync(join(__dirname, "..", "..", "fixtures", "whatsapp", `${name}.json`));

interface Detail {
  readonly summary: { verdict: string; superseded: number; events: number };
  readonly superseded: { id: string; type: string; message_id: string | null }[];
}

function build(statusOrder: boolean): { handler: WebhookHandler; inspector: Inspector } {
  const inspector = createInspector();
  const handler = createWebhookHandler({
    normalizer,
    blocks: [{ id: "wa-main", platform: "whatsapp", workspace_id: "ws", secrets: SECRETS }],
    idempotency: new MemoryStore(),
    statusOrder,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    inspector,
  });
  return { handler, inspector };
}

async function post(handler: WebhookHandler, body: Buffer) {
  const headers = { "content-type": "application/json", ...normalizer.adapterFor("whatsapp").sign(body, SECRETS) };
  return handler({ method: "POST", url: "/webhooks/wa-main", headers, rawBody: body });
}

async function detail(inspector: Inspector, id: number): Promise<Detail> {
  const response = await inspector.fetch(new Request(`http://127.0.0.1/_convotic/api/entries/${id}`));
  expect(response?.status).toBe(200);
  return (await response!.json()) as Detail;
}

test("a sent that arrives after its read is listed as superseded, and the detail names the status held back", async () => {
  const { handler, inspector } = build(true);
  expect((await post(handler, fixture("status-read"))).status).toBe(200);
  expect((await post(handler, fixture("status-sent"))).status).toBe(200);
  const [read, late] = inspector.entries();
  expect(read).toMatchObject({ verdict: "delivered", superseded: 0, events: 1 });
  expect(late).toMatchObject({ verdict: "superseded", superseded: 1, events: 1, duplicates: 0 });
  const shown = await detail(inspector, late!.id);
  expect(shown.superseded).toEqual([
    {
      id: expect.stringMatching(/^evt_/),
      type: "messaging.message.sent",
      message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAAAA==",
    },
  ]);
  // the first one held nothing back
  expect((await detail(inspector, read!.id)).superseded).toEqual([]);
  // the page has the column and the detail block the list and the detail fill in
  const page = await (await inspector.fetch(new Request("http://127.0.0.1/_convotic")))!.text();
  expect(page).toContain("statuses held back by statusOrder");
  expect(page).toContain('id: "superseded"');
  // a redelivery of the superseded status is a duplicate: it was acknowledged (committed) the first time
  await post(handler, fixture("status-sent"));
  expect(inspector.entries()[2]).toMatchObject({ verdict: "duplicate", superseded: 0 });
  expect(handler.delivery.stats().superseded).toBe(1);
  inspector.close();
});

test("without statusOrder the same order delivers both, and nothing is superseded", async () => {
  const { handler, inspector } = build(false);
  await post(handler, fixture("status-read"));
  await post(handler, fixture("status-sent"));
  expect(inspector.entries().map((entry) => [entry.verdict, entry.superseded])).toEqual([
    ["delivered", 0],
    ["delivered", 0],
  ]);
  expect((await detail(inspector, inspector.entries()[1]!.id)).superseded).toEqual([]);
  inspector.close();
});
