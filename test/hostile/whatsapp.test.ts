import { PayloadError } from "../../src/core";
import { adapterTest, metaSigned, normalizer } from "../support/adapter";
import { TEST_SECRETS } from "../support/secrets";

/*
 * Issue 9 for WhatsApp: an input can only cost the item it is in. Every case goes through `processWebhook`
 * (signed, verified, parsed, normalised): the bytes Meta would send, not a pre-parsed object.
 */
const { context } = adapterTest("whatsapp");
const secrets = TEST_SECRETS["whatsapp"]!.valid as { app_secrets: string[] };
const PNID = "106540352242922";
const WABA = "102290129340398";

function deliver(body: unknown) {
  const rawBody = Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
  return normalizer.processWebhook({
    platform: "whatsapp",
    rawBody,
    headers: metaSigned(rawBody, secrets.app_secrets[0]!),
    secrets,
    context,
  });
}

const metadata = { display_phone_number: "15550783881", phone_number_id: PNID };
const change = (value: Record<string, unknown>, field = "messages") => ({
  field,
  value: { messaging_product: "whatsapp", metadata, ...value },
});
const bodyOf = (...changes: unknown[]) => ({ object: "whatsapp_business_account", entry: [{ id: WABA, changes }] });
const text = (id: string, extra: Record<string, unknown> = {}) => ({
  from: "16505551234",
  id,
  timestamp: "1750100000",
  type: "text",
  text: { body: id },
  ...extra,
});
const status = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  status: "delivered",
  timestamp: "1750100000",
  recipient_id: "16505551234",
  ...extra,
});

/** The body as Meta would send it, with `"DEEP"` standing for an array nested `depth` deep (JSON.stringify of such a value overflows). */
function withDeep(body: unknown, depth: number): string {
  return JSON.stringify(body).replace('"DEEP"', `${"[".repeat(depth)}"bottom"${"]".repeat(depth)}`);
}

describe("whatsapp: a batch of 3 with one poisoned item in the middle yields 2 events + 1 unhandled record", () => {
  const cases: [string, unknown][] = [
    [
      "messages[]: a message whose text is a number",
      bodyOf(change({ messages: [text("wamid.1"), text("wamid.2", { text: { body: 7 } }), text("wamid.3")] })),
    ],
    [
      "messages[]: a message that is not an object",
      bodyOf(change({ messages: [text("wamid.1"), "nope", text("wamid.3")] })),
    ],
    [
      "statuses[]: a status without an id",
      bodyOf(change({ statuses: [status("wamid.1"), status("", { id: 42 }), status("wamid.3")] })),
    ],
    [
      "errors[]: an error whose code is an object",
      bodyOf(change({ errors: [{ code: 1, title: "a" }, { code: { x: 1 } }, { code: 3, title: "c" }] })),
    ],
    [
      "message_echoes[]: an echo whose timestamp is an object",
      bodyOf(
        change(
          {
            message_echoes: [
              { ...text("wamid.1"), to: "16505551234" },
              { ...text("wamid.2"), to: "16505551234", timestamp: {} },
              { ...text("wamid.3"), to: "16505551234" },
            ],
          },
          "smb_message_echoes",
        ),
      ),
    ],
    [
      "user_preferences[]: a preference without a value",
      bodyOf(
        change(
          {
            user_preferences: [0, 1, 2].map((n) => ({
              wa_id: "16505551234",
              category: "marketing_messages",
              value: n === 1 ? null : "stop",
              timestamp: 1731705721 + n,
            })),
          },
          "user_preferences",
        ),
      ),
    ],
    [
      "changes[]: a change whose value is a string",
      bodyOf(
        change({ messages: [text("wamid.1")] }),
        { field: "messages", value: "x" },
        change({ messages: [text("wamid.3")] }),
      ),
    ],
    [
      "changes[]: a change that is not an object",
      bodyOf(change({ messages: [text("wamid.1")] }), 17, change({ messages: [text("wamid.3")] })),
    ],
    [
      "entry[]: an entry whose time is not a time",
      {
        object: "whatsapp_business_account",
        entry: [
          { id: WABA, changes: [change({ messages: [text("wamid.1")] })] },
          {
            id: WABA,
            time: { when: "now" },
            changes: [change({ messages: [text("wamid.2", { type: "text", text: null, timestamp: [] })] })],
          },
          { id: WABA, changes: [change({ messages: [text("wamid.3")] })] },
        ],
      },
    ],
  ];

  it.each(cases)("%s", (_name, body) => {
    const result = deliver(body);
    expect(result.events).toHaveLength(2);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]!.reason).toMatch(/whatsapp/);
  });
});

describe("whatsapp: a refused item is reported under its raw kind and id", () => {
  // the kind and raw id are read from the raw item only when it is reported: the same values as read up front
  it.each([
    ["a status of a known kind", status("wamid.s", { timestamp: [] }), "statuses.delivered", "wamid.s"],
    ["a status whose status is not a string", status("wamid.s", { status: 7 }), "statuses.unknown", "wamid.s"],
    ["a status whose id is a number", status("", { id: 42, recipient_id: {} }), "statuses.delivered", undefined],
    ["a status that is an array", ["wamid.s"], "statuses.unknown", undefined],
    ["a status that is null", null, "statuses.unknown", undefined],
  ])("%s", (_name, item, kind, rawId) => {
    const result = deliver(bodyOf(change({ statuses: [status("wamid.1"), item] })));
    expect(result.events).toHaveLength(1);
    expect(result.unhandled.map((u) => [u.kind, u.raw_platform_event_id])).toEqual([[kind, rawId]]);
  });

  it("a message and an echo likewise", () => {
    const messages = deliver(bodyOf(change({ messages: [text("wamid.m", { text: 5 })] })));
    expect(messages.unhandled.map((u) => [u.kind, u.raw_platform_event_id])).toEqual([["messages.text", "wamid.m"]]);
    const echoes = deliver(
      bodyOf(change({ message_echoes: [{ ...text("wamid.e"), type: 3, to: "1" }] }, "smb_message_echoes")),
    );
    expect(echoes.unhandled.map((u) => [u.kind, u.raw_platform_event_id])).toEqual([
      ["smb_message_echoes.unknown", "wamid.e"],
    ]);
  });
});

describe("whatsapp: bounded work on what the payload nests", () => {
  it("maps a value.errors[] item with a field nested 5,000 deep instead of overflowing the stack", () => {
    const deep = { code: 131000, title: "Something went wrong", error_data: { details: "deep" }, extra: "DEEP" };
    const raw = withDeep(bodyOf(change({ errors: [deep] })), 5_000);
    expect(raw.length).toBeLessThan(11_000);
    const result = deliver(raw);
    expect(result.events.map((event) => event.type)).toEqual(["platform.block.error"]);
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it("reports an unmappable item nested 5,000 deep with a raw value a consumer can serialise", () => {
    const result = deliver(
      withDeep(bodyOf(change({ messages: [{ ...text("wamid.1"), type: "carousel", carousel: "DEEP" }] })), 5_000),
    );
    expect(result.unhandled).toHaveLength(1);
    expect(() => JSON.stringify(result.unhandled)).not.toThrow();
  });
});

describe("whatsapp: times out of range", () => {
  it.each([
    ["year 10000 in ms", 253402300800000],
    ["a six-digit year", "+010000-01-01T00:00:00Z"],
    ["negative seconds", -1],
  ])("a message sent at %s keeps its neighbours and takes the receive time", (_name, timestamp) => {
    const result = deliver(
      bodyOf(change({ messages: [text("wamid.1"), text("wamid.2", { timestamp }), text("wamid.3")] })),
    );
    expect(result.events).toHaveLength(3);
    expect(result.unhandled).toEqual([]);
    const bad = result.events[1]!;
    expect(bad.timestamp).toBe(context.received_at);
    expect(bad.metadata).toMatchObject({ timestamp_source: "received", platform_timestamp: String(timestamp) });
  });

  it("an account_update whose entry.time is out of range still maps", () => {
    const body = {
      object: "whatsapp_business_account",
      entry: [{ id: WABA, time: 1e20, changes: [{ field: "account_update", value: { event: "PARTNER_ADDED" } }] }],
    };
    const result = deliver(body);
    expect(result.events.map((event) => [event.type, event.metadata.timestamp_source])).toEqual([
      ["platform.block.connected", "received"],
    ]);
  });
});

describe("whatsapp: payload data never reads Object.prototype", () => {
  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])(
    "a message of type %s is reported, not mapped through a prototype",
    (type) => {
      const result = deliver(bodyOf(change({ messages: [{ ...text("wamid.1"), type, [type]: { id: "x" } }] })));
      expect(result.events).toEqual([]);
      expect(result.unhandled.map((item) => item.kind)).toEqual([`messages.${type}`]);
      expect(({} as Record<string, unknown>)["id"]).toBeUndefined();
    },
  );

  it.each(["constructor", "__proto__"])("a change whose field is %s is reported", (field) => {
    const result = deliver(bodyOf({ field, value: { event: "x" } }));
    expect(result.events).toEqual([]);
    expect(result.unhandled.map((item) => item.kind)).toEqual([field]);
  });
});

describe("whatsapp: what is still the envelope (a 400)", () => {
  it.each([
    ["another product", { object: "page", entry: [] }],
    ["entry not an array", { object: "whatsapp_business_account", entry: {} }],
    ["an entry without an id", { object: "whatsapp_business_account", entry: [{ changes: [] }] }],
  ])("%s", (_name, body) => {
    expect(() => deliver(body)).toThrow(PayloadError);
  });
});
