import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { contentFields, threadOf } from "../src/adapters/telegram/content";
import { UPDATE_KINDS, withoutNulls } from "../src/adapters/telegram/schema";
import { compileParse } from "../src/core/engine";
import { messageId } from "../src/core";
import { adapterTest, ofType } from "./support/adapter";
import { coverage } from "../src/adapters/telegram/coverage";
import { describeCoverage } from "./support/coverage";

/* What the generic suites do not cover for Telegram: the coverage table, and the real-world shapes of issue 11. */
const { context, run } = adapterTest("telegram");

describeCoverage(coverage, run);

describe("telegram coverage completeness", () => {
  it("lists every update kind the adapter maps", () => {
    const listed = new Set(coverage.rows.map((row) => row.webhook.replaceAll("`", "").split(/[ .]/)[0]));
    for (const kind of UPDATE_KINDS.keys()) expect(listed).toContain(kind);
  });
});

describe("telegram item schemas", () => {
  it("compile, so zod does not parse every update (a z.preprocess or a transform would not)", () => {
    for (const [kind, { schema }] of UPDATE_KINDS)
      expect([kind, compileParse(schema) !== undefined]).toEqual([kind, true]);
  });

  it("drop null object fields at any depth up to the bound, and copy nothing when there is none", () => {
    const clean = { a: 1, b: [{ c: "x" }, null, 2], d: { e: { f: false } } };
    expect(withoutNulls(clean)).toBe(clean);
    const dirty = { a: null, b: [{ c: null, g: 1 }, null], d: { e: { f: null, h: [null] } }, i: 0 };
    expect(withoutNulls(dirty)).toEqual({ b: [{ g: 1 }, null], d: { e: { h: [null] } }, i: 0 });
    expect(dirty.a).toBeNull(); // the input is left as it came
    // deeper than the bound a value is left as it is, with or without nulls
    let deep: Record<string, unknown> = { x: null };
    for (let level = 0; level < 40; level++) deep = { n: deep };
    let node = withoutNulls(deep) as Record<string, unknown>;
    for (let level = 0; level < 40; level++) node = node["n"] as Record<string, unknown>;
    expect(node).toEqual({ x: null });
    expect(withoutNulls({ ...deep, top: null })).not.toHaveProperty("top");
  });

  it("drop a null at the bound's last level and keep one past it, through objects and arrays alike", () => {
    // levels alternate between an object `{ n }` and an array `[x]`; the innermost `{ x: null, y: 1 }` is at `depth`
    const nested = (depth: number): unknown => {
      let value: unknown = { x: null, y: 1 };
      for (let level = depth; level > 0; level--) value = level % 2 === 0 ? { n: value } : [value];
      return value;
    };
    const innermost = (value: unknown, depth: number): unknown => {
      for (let level = 1; level <= depth; level++)
        value = level % 2 === 0 ? (value as { n: unknown }).n : (value as unknown[])[0];
      return value;
    };
    expect(innermost(withoutNulls(nested(32)), 32)).toEqual({ y: 1 });
    const past = nested(33);
    expect(withoutNulls(past)).toBe(past);
    expect(innermost(past, 33)).toEqual({ x: null, y: 1 });
  });

  it("look at own fields only: an inherited enumerable null is not a field of the update", () => {
    const inherited = Object.assign(Object.create({ ghost: null }) as object, { a: 1, b: { c: "x" } });
    expect(withoutNulls(inherited)).toBe(inherited);
    const withOwn = Object.assign(Object.create({ ghost: null }) as object, { a: null, b: { c: "x" } });
    expect(withoutNulls(withOwn)).toEqual({ b: { c: "x" } });
  });
});

describe("telegram content fields", () => {
  it("read, in one walk, what reading each field by name reads, on every fixture's messages and on an inherited field", () => {
    const dir = join(__dirname, "..", "fixtures", "telegram");
    const messages: Record<string, unknown>[] = [];
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".json") && !name.includes(".golden"))) {
      const update = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
      for (const value of Object.values(update)) {
        if (typeof value === "object" && value !== null && "chat" in value)
          messages.push(value as Record<string, unknown>);
      }
    }
    expect(messages.length).toBeGreaterThan(20);
    messages.push(Object.assign(Object.create({ text: "inherited" }) as object, { message_id: 1 }));
    for (const message of messages) {
      const fields = contentFields(message as never) as Record<string, unknown>;
      for (const [key, value] of Object.entries(fields)) expect([key, value]).toEqual([key, message[key]]);
    }
  });
});

describe("telegram real-world shapes (issue 11)", () => {
  it("maps a forwarded story to a share with a story attachment", () => {
    const [event] = ofType(run("message-forwarded-story"), "messaging.message.received");
    expect(event?.data.message).toMatchObject({
      type: "share",
      forwarded: true,
      attachments: [{ type: "story", media_id: "-1001234567890:21", title: "Acme News" }],
    });
    // a story from before Bot API 7.1 holds no information: still a share, with no id
    const [old] = ofType(run("message-forwarded-story-bot-api-6-8"), "messaging.message.received");
    expect(old?.data.message.attachments).toEqual([{ type: "story" }]);
  });

  it("maps the first kind of an update carrying several and reports each further kind", () => {
    const result = run("update-with-two-kinds");
    expect(result.events.map((event) => event.type)).toEqual(["messaging.message.received"]);
    expect(result.unhandled.map((item) => [item.kind, item.raw_platform_event_id])).toEqual([
      ["edited_message", "812345803"],
      ["poll_answer", "812345803"],
    ]);
    expect(result.unhandled[0]?.reason).toMatch(/carries one kind/);
  });

  it("reads optional fields sent as null as absent", () => {
    const [event] = ofType(run("message-null-optional-fields"), "messaging.message.received");
    expect(event?.data.contact).toEqual({ name: "Alice" });
    expect(event?.data.message).toEqual({
      id: messageId(context.block_id, "123456789:145"),
      type: "text",
      direction: "inbound",
      text: "sent by a test tool that writes null for absent fields",
    });
  });

  it("still refuses a required field sent as null, for that update only", () => {
    const result = run({ update_id: 1, message: { message_id: 1, date: 1751380200, chat: null, text: "x" } });
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([{ kind: "message", raw_platform_event_id: "1" }]);
    expect(result.unhandled[0]?.reason).toMatch(/chat/);
  });

  it("maps group membership to member events, naming who added or removed someone else", () => {
    const [joined] = ofType(run("chat-member"), "messaging.member.joined");
    expect(joined?.data.added_by).toBeUndefined();
    expect(joined?.metadata.platform_user_id).toBe("222333444");
    const [added] = ofType(run("message-new-chat-members"), "messaging.member.joined");
    expect(added?.data.added_by).toBe(
      ofType(run("message-text-private"), "messaging.message.received")[0]?.data.contact_id,
    );
    const [banned] = ofType(run("chat-member-banned-by-admin"), "messaging.member.left");
    expect(banned?.data.contact_id).toBe(joined?.data.contact_id);
    expect(banned?.data.removed_by).toBe(added?.data.added_by);
    const [left] = ofType(run("message-left-chat-member"), "messaging.member.left");
    expect(left?.data.removed_by).toBeUndefined();
    expect(left?.data.conversation_id).toBe(joined?.data.conversation_id);
  });
});

describe("threadOf", () => {
  it("keys a thread as the definition does, with the chat id's text made once", () => {
    const id = fc.oneof(fc.integer(), fc.constantFrom(-1001234567890, 0, 2 ** 52));
    const optional = fc.option(fc.string({ maxLength: 6 }), { nil: undefined });
    fc.assert(
      fc.property(id, optional, optional, (chatId, business, guest) => {
        const chat = { id: chatId, type: "private" };
        const message = { chat, business_connection_id: business, guest_query_id: guest };
        const expected =
          business !== undefined ? `${business}:${chatId}` : guest !== undefined ? `guest:${chatId}` : String(chatId);
        expect(threadOf(message)).toEqual({ key: expected, chat, chatId: String(chatId) });
      }),
    );
  });
});
