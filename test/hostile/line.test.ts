import { adapters } from "../../src/adapters";
import { PayloadError, type NormalizeResult } from "../../src/core";
import { adapterTest, normalizer } from "../support/adapter";
import { TEST_SECRETS } from "../support/secrets";

/* Issue 9 for LINE: an input can only cost the event it is in. Each case failed (500 or 400) before the fix. */
const { context, run } = adapterTest("line");
const secrets = TEST_SECRETS["line"]!.valid;
const DESTINATION = "U53387d548170020e6cedef5f41d1e01d";

/** A well-formed text message event; `id` keeps the events of one body distinct. */
const text = (id: string, extra: Record<string, unknown> = {}) => ({
  type: "message",
  mode: "active",
  timestamp: 1751368800000,
  source: { type: "user", userId: "U4af4980629aaaaaaaaaaaaaaaaaaaaaaa" },
  webhookEventId: `01HOSTILE00000000000000${id}`,
  deliveryContext: { isRedelivery: false },
  message: { id: `9000${id}`, type: "text", text: `hello ${id}` },
  ...extra,
});

/** Through the whole pipeline: signed, verified, parsed, normalised, every envelope validated. */
function processed(body: object): NormalizeResult {
  const rawBody = Buffer.from(JSON.stringify(body));
  return normalizer.processWebhook({
    platform: "line",
    rawBody,
    headers: adapters.line.sign(rawBody, secrets as never),
    secrets,
    context,
  });
}

describe("line hostile input", () => {
  it("a batch of 3 with a poisoned event in the middle yields 2 events + 1 unhandled record", () => {
    const poisoned = { ...text("002"), source: "nope", message: 5 };
    const result = processed({ destination: DESTINATION, events: [text("001"), poisoned, text("003")] });
    expect(result.events.map((event) => event.metadata.raw_platform_event_id)).toEqual([
      "01HOSTILE00000000000000001",
      "01HOSTILE00000000000000003",
    ]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({
      kind: "message",
      raw_platform_event_id: "01HOSTILE00000000000000002",
      raw: poisoned,
    });
    expect(result.unhandled[0]?.reason).toMatch(/source/);
    expect(result.unhandled[0]?.reason).toMatch(/message/);
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])(
    "a message.type of %j is unsupported content, not a lookup on Object.prototype",
    (type) => {
      const body = JSON.parse(
        JSON.stringify({ destination: DESTINATION, events: [text("001")] }).replace(
          '"type":"text"',
          `"type":${JSON.stringify(type)}`,
        ),
      );
      const result = processed(body);
      expect(result.unhandled).toEqual([]);
      expect(result.events).toHaveLength(1);
      expect(result.events[0]!.data).toMatchObject({
        message: {
          type: "unsupported",
          unsupported_reason: `line "${type}" message content has no Message representation`,
        },
      });
    },
  );

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "an event type of %j is reported unhandled under that kind",
    (type) => {
      const result = processed({ destination: DESTINATION, events: [text("001", { type })] });
      expect(result.events).toEqual([]);
      expect(result.unhandled.map((item) => item.kind)).toEqual([type]);
    },
  );

  it("keeps items that are not objects as unhandled records and maps the rest", () => {
    const result = processed({ destination: DESTINATION, events: [1, null, "event", [], text("005"), { type: 7 }] });
    expect(result.events).toHaveLength(1);
    expect(result.unhandled.map((item) => item.kind)).toEqual(["event", "event", "event", "event", "event"]);
    expect(result.unhandled.every((item) => /does not have the documented shape/.test(item.reason))).toBe(true);
  });

  it("refuses a body whose envelope is wrong with a PayloadError (400)", () => {
    for (const body of [
      { destination: DESTINATION },
      { destination: DESTINATION, events: {} },
      { destination: 7, events: [] },
      [],
      "text",
    ]) {
      expect(() => run(Buffer.from(JSON.stringify(body)))).toThrow(PayloadError);
    }
  });

  it("takes the receive time for an event time out of 1970…9999 and keeps what was sent", () => {
    for (const timestamp of [253402300800000, -1]) {
      const raw = JSON.stringify({ destination: DESTINATION, events: [text("001")] }).replace(
        "1751368800000",
        String(timestamp),
      );
      const [event] = run(Buffer.from(raw)).events;
      expect(event?.timestamp).toBe(context.received_at);
      expect(event?.metadata).toMatchObject({
        timestamp_source: "received",
        platform_timestamp: String(JSON.parse(raw).events[0].timestamp),
      });
    }
  });

  it("reports an event whose time inside data is out of range, and keeps its neighbours", () => {
    const activated = {
      type: "activated",
      mode: "active",
      timestamp: 1653990823058,
      source: { type: "user", userId: "U4af4980629aaaaaaaaaaaaaaaaaaaaaaa" },
      webhookEventId: "01HOSTILEACTIVATED00000000",
      deliveryContext: { isRedelivery: false },
      chatControl: { expireAt: 253402300800000 },
    };
    const result = processed({ destination: DESTINATION, events: [text("001"), activated] });
    expect(result.events).toHaveLength(1);
    expect(result.unhandled).toMatchObject([
      { kind: "activated", raw_platform_event_id: "01HOSTILEACTIVATED00000000" },
    ]);
    expect(result.unhandled[0]?.reason).toMatch(/between 1970 and 9999/);
  });

  it("does not pollute Object.prototype through __proto__ keys in postback params or events", () => {
    const raw =
      `{"destination":"${DESTINATION}","events":[{"type":"postback","mode":"active","timestamp":1513669370317,` +
      `"source":{"type":"user","userId":"Uabc"},"webhookEventId":"01HOSTILEPOSTBACK000000000","deliveryContext":{"isRedelivery":false},` +
      `"__proto__":{"polluted":true},"postback":{"data":"d","params":{"__proto__":{"polluted":true},"date":"2026-01-01"}}}]}`;
    const result = run(Buffer.from(raw));
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(result.events[0]?.data).toMatchObject({ postback: { payload: "d", params: { date: "2026-01-01" } } });
  });
});
