import { PayloadError } from "../src/core";
import { adapterTest, metaSigned, normalizer } from "./support/adapter";

/*
 * Messenger's per-item isolation: one malformed messaging item in a batch costs only itself, never its
 * neighbours (split from messenger.test.ts, which keeps signing, handshake and mapping).
 */
const { platform, context, run } = adapterTest("messenger");
const APP_SECRET = "a-messenger-app-secret";
const secrets = { app_secrets: [APP_SECRET], verify_token: "verify-me-123" };
const PAGE = "112233445566778";
const PSID = "6543219876543210";

const signed = (bytes: Uint8Array, secret = APP_SECRET) => metaSigned(bytes, secret);
const page = (...items: unknown[]) => ({
  object: "page",
  entry: [{ id: PAGE, time: 1795252530900, messaging: items }],
});

describe("messenger: a malformed item costs only itself", () => {
  const message = (mid: string, timestamp: unknown = 1795252530000) => ({
    sender: { id: PSID },
    recipient: { id: PAGE },
    timestamp,
    message: { mid, text: "hi" },
  });
  const poisoned = { sender: "nope", recipient: { id: PAGE }, timestamp: "x", message: { mid: "m_bad", text: "?" } };
  const process = (payload: object) => {
    const rawBody = Buffer.from(JSON.stringify(payload));
    return normalizer.processWebhook({ platform, rawBody, headers: signed(rawBody), secrets, context });
  };

  it("maps the two good items of a batch of 3 and reports the poisoned middle one, with the zod path", () => {
    const result = process(page(message("m_1"), poisoned, message("m_3")));
    expect(result.events.map((event) => event.metadata.platform_message_id)).toEqual(["m_1", "m_3"]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "message", raw_platform_event_id: "m_bad", raw: poisoned });
    expect(result.unhandled[0]?.reason).toMatch(/sender: /);
  });

  it('keeps the first entry when the second entry\'s item has sender "nope" and timestamp "x"', () => {
    const result = process({
      object: "page",
      entry: [
        { id: PAGE, time: 1795252530900, messaging: [message("m_1")] },
        { id: PAGE, time: 1795252530900, messaging: [poisoned] },
      ],
    });
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received"]);
    expect(result.unhandled.map((item) => item.kind)).toEqual(["message"]);
  });

  it("keeps an item with a time at or after the year 10000, and its neighbours, on the receive time", () => {
    const reaction = {
      sender: { id: PSID },
      recipient: { id: PAGE },
      timestamp: 253402300800000,
      reaction: { mid: "m_1", action: "react", emoji: "\u{1F44D}" },
    };
    const result = process(page(message("m_1"), reaction, message("m_3", -5)));
    expect(result.unhandled).toEqual([]);
    expect(
      result.events.map((event) => [
        event.type,
        event.timestamp,
        event.metadata.timestamp_source,
        event.metadata.platform_timestamp,
      ]),
    ).toEqual([
      ["messaging.message.received", "2026-11-21T09:15:30.000Z", undefined, undefined],
      ["messaging.reaction.added", context.received_at, "received", "253402300800000"],
      ["messaging.message.received", context.received_at, "received", "-5"],
    ]);
    // the key keeps what was sent, so a redelivery gives the same id
    expect(process(page(reaction)).events[0]?.id).toBe(result.events[1]?.id);
  });

  it("reports a watermark that is not a time as the item's fault", () => {
    const read = { sender: { id: PSID }, recipient: { id: PAGE }, timestamp: 1795252530000, read: { watermark: 1e20 } };
    const result = process(page(message("m_1"), read));
    expect(result.events).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "read", reason: expect.stringMatching(/between 1970 and 9999/) });
  });

  it("reports an entry whose lists are not lists, and maps the entries beside it", () => {
    const result = process({
      object: "page",
      entry: [
        { id: PAGE, messaging: { not: "a list" } },
        { id: PAGE, time: 1795252530900, messaging: [message("m_2")] },
      ],
    });
    expect(result.events).toHaveLength(1);
    expect(result.unhandled).toMatchObject([
      { kind: "entry", raw_platform_event_id: PAGE, reason: expect.stringContaining("messaging") },
    ]);
  });

  it("reads kinds and fields named like Object.prototype members as plain names", () => {
    const text = `{"object":"page","entry":[{"id":"${PAGE}","time":1795252530900,"messaging":[
      {"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":1795252530000,"__proto__":{"polluted":true}},
      {"sender":{"id":"${PSID}"},"recipient":{"id":"${PAGE}"},"timestamp":1795252530000,"constructor":{}}],
      "changes":[{"field":"toString","value":{}},{"field":"__proto__","value":{"polluted":true}}]}]}`;
    const result = process(JSON.parse(text) as object);
    expect(result.events).toEqual([]);
    expect(result.unhandled.map((item) => item.kind)).toEqual([
      "__proto__",
      "constructor",
      "changes.toString",
      "changes.__proto__",
    ]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("bounds kinds named by payload strings, so a huge name cannot inflate reports and logs", () => {
    const huge = "x".repeat(100_000);
    const result = process({
      object: "page",
      entry: [
        {
          id: PAGE,
          time: 1795252530900,
          messaging: [
            {
              sender: { id: PSID },
              recipient: { id: PAGE },
              timestamp: 1795252530000,
              reaction: { mid: "m_1", action: huge },
            },
            { sender: { id: PSID }, [huge]: {} },
          ],
          changes: [
            { field: huge, value: {} },
            { field: "feed", value: { item: huge, verb: huge } },
          ],
          [huge]: [{}],
        },
      ],
    });
    expect(result.unhandled).toHaveLength(5);
    for (const item of result.unhandled) expect(item.kind.length).toBeLessThanOrEqual(140);
    expect(result.unhandled.every((item) => (item.reason ?? "").length < 1_000)).toBe(true);
  });

  it("still refuses a body whose envelope is wrong (400)", () => {
    for (const wrong of [
      { object: "page", entry: {} },
      { object: "page", entry: [{ time: 1 }] },
      { object: "page", entry: [{ id: 7 }] },
      { object: "page" },
    ]) {
      expect(() => run(wrong)).toThrow(PayloadError);
    }
  });
});
