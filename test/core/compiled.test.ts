import fc from "fast-check";
import { z } from "zod";
import { compileParse, REJECTED, type CompileOptions } from "../../src/core/engine";
import { envelopeSchemas, type UnifiedEvent } from "../../src/core";
import { EVENT_TYPES } from "../../src/core/catalogue";
import { normalizer } from "../support/adapter";
import { expectAgrees } from "../support/compiled";
import { fixtureContext, fixturesOf } from "../support/fixtures";

/*
 * The compiled parsers stand in for zod on the hot path, so they must never accept what zod rejects nor return
 * anything but what zod returns: checked on every fixture's envelopes and on arbitrary mutations of them.
 */

const envelopes: UnifiedEvent[] = normalizer.platforms.flatMap((platform) =>
  fixturesOf(platform).flatMap((fixture) => {
    try {
      return normalizer.normalize(platform, fixture.body, fixtureContext(platform)).events;
    } catch {
      return []; // fixtures of bodies the pipeline refuses as a whole
    }
  }),
);

/**
 * Every property below holds for each way a parser is built: generated code (the default where `new Function` is
 * allowed), generated code that may return its input (`parseWith`), and the closures (Cloudflare Workers, a CSP).
 */
const modes: { name: string; options: CompileOptions }[] = [
  { name: "generated code", options: { codegen: true } },
  { name: "generated code reusing its input", options: { codegen: true, reuseInput: true } },
  { name: "closures", options: { codegen: false } },
];

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return [
    prefix,
    ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key])),
  ];
}

const OPS = ["set", "delete", "extra", "reorder", "proto"] as const;
type Change = { op: (typeof OPS)[number]; value: unknown };

/**
 * A copy of `value` with one change at `path`: the value set (to anything, `undefined` included: a key present as
 * undefined), the key deleted, an undocumented key added, the keys of the object there in reverse order, or an
 * own `__proto__` data key added as `JSON.parse` makes it.
 */
function mutated(value: unknown, path: readonly (string | number)[], change: Change): unknown {
  const copy = { root: structuredClone(value) } as Record<string | number, unknown>;
  const full = ["root", ...path];
  let parent: Record<string | number, unknown> = copy;
  for (const key of full.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = full[full.length - 1]!;
  const target = parent[last];
  const isObject = typeof target === "object" && target !== null && !Array.isArray(target);
  if (change.op === "set") parent[last] = change.value;
  else if (change.op === "delete") delete parent[last];
  else if (change.op === "extra") {
    if (typeof target === "object" && target !== null)
      (target as Record<string, unknown>)["undocumented"] = change.value;
  } else if (change.op === "reorder") {
    if (isObject) parent[last] = Object.fromEntries(Object.entries(target).reverse());
  } else if (isObject) {
    const rest = JSON.stringify(target).slice(1);
    parent[last] = JSON.parse(
      `{"__proto__":${JSON.stringify(change.value) ?? "null"}${rest === "}" ? "" : ","}${rest}`,
    );
  }
  return copy["root"];
}

const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(-1),
  fc.constant(0.5),
  fc.constant(2 ** 60),
  fc.date({ noInvalidDate: true }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constant("2026-02-30T10:00:00.000Z"),
  fc.constant("msg_0123456789ABCDEFGHJK"),
  fc.constant(""),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
  fc.anything(),
);

const changes = fc.record({ op: fc.constantFrom(...OPS), value: anyValue });

const bodies = normalizer.platforms.flatMap((platform) => {
  const adapter = normalizer.adapterFor(platform);
  return fixturesOf(platform).map((fixture) => {
    const text = fixture.body.toString("utf8");
    // what the pipeline hands the payload schema: the adapter's own parser's value when it has one (Twilio's form)
    if (adapter.parseBody !== undefined) return { adapter, json: adapter.parseBody(fixture.body, fixture.contentType) };
    return { adapter, json: (adapter.parseJson === undefined ? JSON.parse(text) : adapter.parseJson(text)) as unknown };
  });
});

describe("generated parsers reusing their input, on every fixture body", () => {
  it("return the body itself wherever zod's output is the same JSON, arrays included", () => {
    let reused = 0;
    for (const { adapter, json } of bodies) {
      const parse = compileParse(adapter.payload, undefined, { codegen: true, reuseInput: true })!;
      const zod = adapter.payload.safeParse(json);
      if (!zod.success || JSON.stringify(zod.data) !== JSON.stringify(json)) continue;
      expect(parse(json)).toBe(json);
      reused++;
    }
    expect(reused).toBeGreaterThan(bodies.length * 0.8);
  });
});

describe.each(modes)("compiled parsers as $name", ({ options }) => {
  const payloadParsers = new Map(
    normalizer.platforms.map((platform) => {
      const adapter = normalizer.adapterFor(platform);
      return [adapter, compileParse(adapter.payload, undefined, options)] as const;
    }),
  );
  const envelopeParsers = new Map(
    EVENT_TYPES.map((type) => [type, compileParse(envelopeSchemas[type], undefined, options)]),
  );
  const compile = (schema: z.ZodType) => compileParse(schema, undefined, options)!;

  describe("raw payloads", () => {
    it("compile for every built-in adapter and return what zod returns on every fixture body", () => {
      expect(bodies.length).toBeGreaterThan(250);
      for (const { adapter, json } of bodies) {
        const parse = payloadParsers.get(adapter);
        expect(parse).toBeDefined();
        const compiled = expectAgrees(adapter.payload, parse!, json);
        if (!adapter.payload.safeParse(json).success) expect(compiled).toBe(REJECTED);
      }
    });

    it("never accept a mutated body zod rejects, nor return anything but zod's output", () => {
      fc.assert(
        fc.property(
          fc
            .constantFrom(...bodies)
            .chain((body) => fc.tuple(fc.constant(body), fc.constantFrom(...pathsOf(body.json)), changes)),
          ([{ adapter, json }, path, change]) => {
            expectAgrees(adapter.payload, payloadParsers.get(adapter)!, mutated(json, path, change));
          },
        ),
        { numRuns: 3000 },
      );
    });
  });

  describe("envelopes", () => {
    it("compile for every event type but the few with constructs left to zod", () => {
      const compiled = EVENT_TYPES.filter((type) => envelopeParsers.get(type) !== undefined);
      expect(compiled.length).toBeGreaterThan(EVENT_TYPES.length * 0.9);
    });

    it("accept every fixture's envelope, returning what zod returns", () => {
      expect(envelopes.length).toBeGreaterThan(200);
      for (const envelope of envelopes) {
        const parse = envelopeParsers.get(envelope.type);
        if (parse === undefined) continue;
        expect(expectAgrees(envelopeSchemas[envelope.type], parse, envelope)).not.toBe(REJECTED);
      }
    });

    it("never accept a mutated envelope zod rejects, nor return anything but zod's output", () => {
      fc.assert(
        fc.property(
          fc
            .constantFrom(...envelopes)
            .chain((envelope) => fc.tuple(fc.constant(envelope), fc.constantFrom(...pathsOf(envelope)), changes)),
          ([envelope, path, change]) => {
            const parse = envelopeParsers.get(envelope.type);
            if (parse !== undefined)
              expectAgrees(envelopeSchemas[envelope.type], parse, mutated(envelope, path, change));
          },
        ),
        { numRuns: 3000 },
      );
    });
  });

  it("reorder keys as zod does, and keep a key given as undefined", () => {
    const schema = z.strictObject({
      a: z.string(),
      b: z.string().optional(),
      c: z.array(z.strictObject({ x: z.number(), y: z.number().optional() })),
    });
    const parse = compile(schema);
    const value = { c: [{ y: undefined, x: 1 }], b: undefined, a: "a" };
    expect(JSON.stringify(Object.keys(parse(value) as object))).toBe(JSON.stringify(Object.keys(schema.parse(value))));
    expect(parse(value)).toStrictEqual(schema.parse(value));
    expect(Object.keys((parse(value) as { c: object[] }).c[0]!)).toEqual(["x", "y"]);
  });

  it("give a loose object zod's key order: the shape's keys, then the others as they came", () => {
    const schema = z.looseObject({ a: z.string().optional(), b: z.number() });
    for (const value of [
      { x: 1, b: 2, a: undefined, y: { deep: [1] } },
      { a: "a", x: 1, b: 2 },
      { b: 2, a: "a" },
      { x: 1, b: 3 },
      { b: 2, x: 1, a: "a" },
    ]) {
      expectAgrees(schema, compile(schema), value);
      expect(JSON.stringify(Object.keys(compile(schema)(value) as object))).toBe(
        JSON.stringify(Object.keys(schema.parse(value))),
      );
    }
    const withProto = JSON.parse('{"b":1,"__proto__":{"polluted":true}}') as unknown;
    expect(compile(schema)(withProto)).toBe(REJECTED); // left to zod
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(compile(z.looseObject({}))({ b: 1 })).toStrictEqual({ b: 1 });
  });

  it("refuse an own __proto__ key as zod does, and never take it as a prototype", () => {
    const strict = z.strictObject({ a: z.string(), b: z.strictObject({ c: z.number().optional() }) });
    for (const text of [
      '{"a":"a","b":{},"__proto__":{"x":1}}',
      '{"__proto__":null,"a":"a","b":{}}',
      '{"a":"a","b":{"__proto__":{"c":1}}}',
    ]) {
      const value = JSON.parse(text) as unknown;
      expect(compile(strict)(value)).toBe(REJECTED);
      expect(strict.safeParse(value).success).toBe(false);
    }
  });

  it("treat a key present as undefined as zod does: kept when optional, left to zod when required", () => {
    const schema = z.strictObject({ a: z.string().optional(), b: z.number(), c: z.unknown().optional() });
    expectAgrees(schema, compile(schema), { b: 1, a: undefined });
    expect(Object.keys(compile(schema)({ a: undefined, b: 1, c: undefined }) as object)).toEqual(["a", "b", "c"]);
    expect(compile(schema)({ b: undefined })).toBe(REJECTED);
    expect(compile(schema)({ a: "a" })).toBe(REJECTED);
    expect(compile(schema)(Object.create({ b: 1 }) as unknown)).toBe(REJECTED); // not a plain object
  });

  it("accept an object without a prototype as zod does, and return a plain one", () => {
    const schema = z.strictObject({ a: z.string() });
    const value = Object.assign(Object.create(null) as object, { a: "a" });
    const parsed = expectAgrees(schema, compile(schema), value);
    expect(parsed).not.toBe(value);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it("leave to zod what they do not know", () => {
    expect(
      compileParse(z.strictObject({ a: z.string().transform((text) => text.length) }), undefined, options),
    ).toBeUndefined();
    expect(
      compileParse(
        z.strictObject({ a: z.string() }).refine(() => false),
        undefined,
        options,
      ),
    ).toBeUndefined();
    expect(compileParse(z.object({ a: z.string() }), undefined, options)).toBeUndefined();
    expect(compileParse(z.strictObject({ a: z.string().default("x") }), undefined, options)).toBeUndefined();
    expect(compileParse(z.strictObject({ a: z.email() }), undefined, options)).toBeUndefined();
  });

  it("reject what a strict object does not allow", () => {
    const parse = compile(z.strictObject({ a: z.number().int().nonnegative() }));
    expect(parse({ a: 1, b: 2 })).toBe(REJECTED);
    expect(parse({ a: 1.5 })).toBe(REJECTED);
    expect(parse({ a: -1 })).toBe(REJECTED);
    expect(parse({ a: Number.NaN })).toBe(REJECTED);
    expect(parse({ a: 2 ** 60 })).toBe(REJECTED);
    expect(parse([1])).toBe(REJECTED);
    expect(parse(new Date())).toBe(REJECTED);
    expect(parse({})).toBe(REJECTED);
    expect(parse({ a: 0 })).toStrictEqual({ a: 0 });
  });

  it("check a regex on every string, the one it matched last included", () => {
    const schema = z.strictObject({ at: z.iso.datetime({ precision: 3 }), id: z.string().regex(/^id_[a-z]{2}$/) });
    const parse = compile(schema);
    const good = { at: "2026-11-24T04:00:00.000Z", id: "id_ab" };
    for (const value of [good, good, { ...good }, { at: `${"2026-11-24T04:00:00"}.000Z`, id: ["id", "ab"].join("_") }])
      expectAgrees(schema, parse, value);
    for (const bad of [
      { ...good, at: "2026-11-24T04:00:00Z" },
      { ...good, id: "id_abc" },
      { ...good, at: "2026-02-30T04:00:00.000Z" },
      good,
    ]) {
      expect(parse(bad) === REJECTED).toBe(!schema.safeParse(bad).success);
    }
    expect(parse({ ...good, id: "id_ABC" })).toBe(REJECTED);
  });

  it("check literals, enums, lengths, bounds and unions as zod does", () => {
    const schema = z.strictObject({
      kind: z.literal(["a", "b"]),
      level: z.enum(["low", "high"]),
      name: z.string().min(2).max(3),
      score: z.number().gte(0).lt(1),
      either: z.union([z.null(), z.boolean(), z.strictObject({ x: z.literal(1) })]),
      tags: z.record(z.string(), z.string()).optional(),
    });
    const parse = compile(schema);
    const good = { kind: "a", level: "high", name: "abc", score: 0, either: { x: 1 }, tags: { t: "u" } };
    expect(expectAgrees(schema, parse, good)).not.toBe(REJECTED);
    for (const [key, bad] of Object.entries({
      kind: "c",
      level: "mid",
      name: "abcd",
      score: 1,
      either: { x: 2 },
      tags: { t: 1 },
    })) {
      expect(parse({ ...good, [key]: bad })).toBe(REJECTED);
      expect(schema.safeParse({ ...good, [key]: bad }).success).toBe(false);
    }
    expect(expectAgrees(schema, parse, { ...good, name: "ab", score: 0.5, either: false })).not.toBe(REJECTED);
  });
});
