import { adapters } from "../../src/adapters";
import { PayloadError, type NormalizeResult } from "../../src/core";
import { adapterTest, normalizer } from "../support/adapter";
import { TEST_SECRETS } from "../support/secrets";

/*
 * Issue 9 for Telegram: one update per body, so the envelope is `update_id` (an integer, else 400) and the kind
 * inside is the item. A malformed kind costs only itself: one unhandled record, and the request is answered 2xx.
 */
const { context, run } = adapterTest("telegram");
const secrets = TEST_SECRETS["telegram"]!.valid;

const alice = { id: 123456789, is_bot: false, first_name: "Alice" };
const message = (extra: Record<string, unknown> = {}) => ({
  message_id: 1,
  date: 1751368800,
  chat: { id: 123456789, type: "private", first_name: "Alice" },
  from: alice,
  text: "hi",
  ...extra,
});

function processed(body: object): NormalizeResult {
  const rawBody = Buffer.from(JSON.stringify(body));
  return normalizer.processWebhook({
    platform: "telegram",
    rawBody,
    headers: adapters.telegram.sign(rawBody, secrets as never),
    secrets,
    context,
  });
}

describe("telegram hostile input", () => {
  it("reports an update whose message is malformed as one unhandled record instead of refusing the body", () => {
    const bad = { message_id: "x", chat: "nope" };
    const result = processed({ update_id: 900001, message: bad });
    expect(result.events).toEqual([]);
    expect(result.unhandled).toHaveLength(1);
    expect(result.unhandled[0]).toMatchObject({ kind: "message", raw_platform_event_id: "900001", raw: bad });
    expect(result.unhandled[0]?.reason).toMatch(/message_id/);
    expect(result.unhandled[0]?.reason).toMatch(/chat/);
  });

  it("refuses a body without an integer update_id with a PayloadError (400)", () => {
    for (const body of [
      { message: message() },
      { update_id: "1", message: message() },
      { update_id: 1.5 },
      { update_id: -1 },
      [],
      null,
      7,
    ]) {
      expect(() => run(Buffer.from(JSON.stringify(body)))).toThrow(PayloadError);
    }
  });

  it("takes the receive time for a message date out of 1970…9999 and keeps what was sent", () => {
    for (const date of [253402300800000, -5]) {
      const [event] = processed({ update_id: 900002, message: message({ date }) }).events;
      expect(event?.type).toBe("messaging.message.received");
      expect(event?.timestamp).toBe(context.received_at);
      expect(event?.metadata).toMatchObject({ timestamp_source: "received", platform_timestamp: String(date) });
    }
  });

  it("reports an edit whose edit_date is out of range (it is a time inside data)", () => {
    const result = processed({ update_id: 900003, edited_message: message({ edit_date: 253402300800000 }) });
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([{ kind: "edited_message", raw_platform_event_id: "900003" }]);
    expect(result.unhandled[0]?.reason).toMatch(/between 1970 and 9999/);
  });

  it.each(["constructor", "toString", "hasOwnProperty", "valueOf"])(
    "an update kind of %j is reported unhandled, not looked up on a prototype",
    (kind) => {
      const result = processed({ update_id: 900004, [kind]: { text: "x" } });
      expect(result.events).toEqual([]);
      expect(result.unhandled.map((item) => item.kind)).toEqual([kind]);
    },
  );

  it("maps reactions, currencies and service fields named after Object.prototype members as plain data", () => {
    const reaction = {
      chat: { id: -100, type: "supergroup", title: "G" },
      message_id: 5,
      user: alice,
      date: 1751368800,
      old_reaction: [],
      new_reaction: [{ type: "constructor" }, { type: "__proto__" }],
    };
    const reacted = processed({ update_id: 900005, message_reaction: reaction });
    expect(reacted.events.map((event) => (event.data as { reaction: { name?: string } }).reaction.name)).toEqual([
      "constructor",
      "__proto__",
    ]);
    const paid = { currency: "constructor", total_amount: 1000, invoice_payload: "p", telegram_payment_charge_id: "c" };
    const [order] = processed({
      update_id: 900006,
      message: message({ text: undefined, successful_payment: paid }),
    }).events;
    expect(order?.data).toMatchObject({ order: { total: 10 } });
    const service = JSON.parse(
      `{"update_id":900007,"message":${JSON.stringify(message({ text: undefined })).slice(0, -1)},"constructor":{"x":1}}}`,
    );
    expect(processed(service).unhandled.map((item) => item.kind)).toEqual(["message.constructor"]);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});
