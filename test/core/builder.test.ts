import { z } from "zod";
import { boundedRaw, defined, EnvelopeBuilder, parseJsonKeepingBigIntegers, withFields } from "../../src/core";
import { BuiltResult } from "../../src/core/engine";
import { MAX_RAW_DEPTH } from "../../src/core/objects";

const context = { workspace_id: "ws", block_id: "blk", received_at: "2026-11-22T12:00:00.000Z" };

function follow(b: EnvelopeBuilder, key: string, rawId = key) {
  const data = { contact_id: b.contactId(1), conversation_id: b.conversationId(1) };
  return b
    .mapper({ kind: "follow", raw: { key }, key, timestamp: 1751368800, metadata: { raw_platform_event_id: rawId } })
    .emit("messaging.follow", data);
}

describe("EnvelopeBuilder", () => {
  it("collapses an exact repeat and re-keys a different event that shares the raw id", () => {
    const b = new EnvelopeBuilder("test", context);
    const first = follow(b, "k");
    follow(b, "k");
    const other = b.mapper({
      kind: "follow",
      raw: {},
      key: "k",
      timestamp: 1751368801,
      metadata: { raw_platform_event_id: "k" },
    });
    const second = other.emit("messaging.follow", { contact_id: b.contactId(1), conversation_id: b.conversationId(1) });
    const ids = b.result().events.map((event) => event.id);
    expect(ids).toEqual([first.id, second.id]);
    expect(second.id).not.toBe(first.id);
  });

  it("reports an item that does not match its schema, with the zod path, and keeps its neighbours", () => {
    const b = new EnvelopeBuilder("test", context);
    const Item = z.looseObject({ key: z.string() });
    for (const raw of [{ key: "a" }, { key: 7 }, { key: "c" }]) {
      b.item(raw, { kind: "follow", schema: Item }, (item) => follow(b, item.key));
    }
    const result = b.result();
    expect(result.events).toHaveLength(2);
    expect(result.unhandled).toMatchObject([
      { kind: "follow", raw: { key: 7 }, reason: expect.stringMatching(/key: /) },
    ]);
  });

  it("takes back what an item emitted before it failed", () => {
    const b = new EnvelopeBuilder("test", context);
    b.item({}, { kind: "pair", rawId: "p" }, () => {
      follow(b, "one");
      b.timestamp(-5);
    });
    expect(b.result()).toMatchObject({ events: [], unhandled: [{ kind: "pair", raw_platform_event_id: "p" }] });
    expect(b.result().unhandled[0]?.reason).toMatch(/between 1970 and 9999/);
  });

  it("never changes a result it returned: later events and failed items work on copies", () => {
    const b = new EnvelopeBuilder("test", context);
    follow(b, "one");
    const first = b.result();
    const firstEvents = [...first.events];
    follow(b, "two");
    b.unhandled("other", {});
    b.item({}, { kind: "pair", rawId: "p" }, () => {
      follow(b, "three");
      b.timestamp(-5);
    });
    expect(first.events).toEqual(firstEvents);
    expect(first.unhandled).toEqual([]);
    const second = b.result();
    expect(second.events.map((event) => event.metadata.raw_platform_event_id)).toEqual(["one", "two"]);
    expect(second.unhandled.map((record) => record.kind)).toEqual(["other", "pair"]);
    expect(second).toBeInstanceOf(BuiltResult);
    const built = second as BuiltResult;
    expect(built.vouchesFor(second.events[1]!, second.events)).toBe(true);
    expect(built.vouchesFor(second.events[1]!, [...second.events])).toBe(false); // not an array a builder returned
    expect(built.vouchesFor({ ...second.events[1]! }, second.events)).toBe(false); // not the object it emitted
  });

  it("parses a part of an item with b.parse: zod's safeParse result, compiled or not", () => {
    const b = new EnvelopeBuilder("test", context);
    const Contact = z.strictObject({ wa_id: z.string(), profile: z.strictObject({ name: z.string() }).optional() });
    const good = { wa_id: "1", profile: { name: "Ann" } };
    expect(b.parse(Contact, good)).toEqual(Contact.safeParse(good));
    const bad = { wa_id: 1, extra: true };
    const parsed = b.parse(Contact, bad);
    const zod = Contact.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual(zod.error?.issues);
    const Refined = z.string().refine((value) => value.startsWith("a")); // does not compile: zod answers
    expect(b.parse(Refined, "abc")).toEqual({ success: true, data: "abc" });
    expect(b.parse(Refined, "xyz").success).toBe(false);
  });

  it("bounds the depth of the raw value of an unhandled record, so serialising it cannot overflow", () => {
    let deep: unknown = "bottom";
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    const b = new EnvelopeBuilder("test", context);
    b.unhandled("deep", deep);
    const raw = b.result().unhandled[0]?.raw;
    expect(() => JSON.stringify(raw)).not.toThrow();
    expect(JSON.stringify(raw)).toContain(`nested deeper than ${MAX_RAW_DEPTH} levels`);
    const shallow = { a: { b: [1, 2] } };
    expect(boundedRaw(shallow)).toBe(shallow);
  });

  it("keeps own __proto__ keys as data when it copies a raw value", () => {
    let deep: unknown = JSON.parse('{"__proto__":{"polluted":true}}');
    for (let i = 0; i < MAX_RAW_DEPTH + 2; i += 1) deep = JSON.parse(`{"__proto__":${JSON.stringify(deep)}}`);
    const copy = boundedRaw(deep) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("withFields", () => {
  // it replaces `{ ...base, ...fields }` in the mappings (for V8's maps, see there): it must build the same object
  const cases: [object, object][] = [
    [{ a: 1, b: "x" }, { c: [1] }],
    [
      { a: 1, b: "x" },
      { a: 2, d: undefined },
    ],
    [{}, {}],
    [
      { z: 1, y: 2 },
      { x: 3, z: 4 },
    ],
    [
      JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object,
      JSON.parse('{"b": 2, "__proto__": 3}') as object,
    ],
    [Object.assign(Object.create({ inherited: 1 }) as object, { own: 2 }), { more: 3 }],
  ];
  it.each(cases)("builds what a spread builds: %j + %j", (base, fields) => {
    const built = withFields(base, fields);
    const spread = { ...base, ...fields };
    expect(Reflect.ownKeys(built)).toEqual(Reflect.ownKeys(spread));
    for (const key of Reflect.ownKeys(spread))
      expect(Object.getOwnPropertyDescriptor(built, key)).toEqual(Object.getOwnPropertyDescriptor(spread, key));
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    expect(built).not.toBe(base);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });
});

describe("defined", () => {
  it("keeps the defined fields in order and drops undefined ones", () => {
    const title: string | undefined = undefined;
    const fields = defined({ text: "hi", title, size: 0 });
    expect(Object.keys(fields)).toEqual(["text", "size"]);
    const typed: { text: string; title?: string; size?: number } = fields;
    expect(typed.text).toBe("hi");
  });
});

describe("parseJsonKeepingBigIntegers", () => {
  it("keeps integers beyond 2^53 exact as strings and leaves strings and small numbers alone", () => {
    const text =
      '{"token":4912661846655238145,"small":1457764197627,"text":"not 4912661846655238145 \\" 12345678901234567","neg":-4912661846655238145,"float":1.5e300,"fraction":0.12345678901234567,"exp":1e-12345678901234567}';
    expect(parseJsonKeepingBigIntegers(text)).toEqual({
      token: "4912661846655238145",
      small: 1457764197627,
      text: 'not 4912661846655238145 " 12345678901234567',
      neg: "-4912661846655238145",
      float: 1.5e300,
      // eslint-disable-next-line no-loss-of-precision -- the parser must give what JSON.parse gives for it
      fraction: 0.12345678901234567,
      exp: 0,
    });
  });
});
