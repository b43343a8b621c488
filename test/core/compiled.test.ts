import fc from "fast-check";
import { z } from "zod";
import { compileParse, REJECTED } from "../../src/core/compiled";
import { envelopeSchemas, type UnifiedEvent } from "../../src/core";
import { EVENT_TYPES } from "../../src/core/catalogue";
import { normalizer } from "../support/adapter";
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

const parsers = new Map(EVENT_TYPES.map((type) => [type, compileParse(envelopeSchemas[type])]));

/** The compiled parser agrees with zod: whatever it accepts, zod accepts and returns the same (keys in the same order). */
function expectAgreesWithZod(type: UnifiedEvent["type"], value: unknown): void {
  const parse = parsers.get(type);
  if (parse === undefined) return;
  const compiled = parse(value);
  if (compiled === REJECTED) return;
  const zod = envelopeSchemas[type].safeParse(value);
  expect(zod.success).toBe(true);
  expect(compiled).toStrictEqual(zod.data);
  expect(JSON.stringify(compiled)).toBe(JSON.stringify(zod.data));
}

function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, index) => index) : Object.keys(value);
  return [prefix, ...keys.flatMap((key) => pathsOf((value as Record<string | number, unknown>)[key], [...prefix, key]))];
}

function mutated(envelope: UnifiedEvent, path: readonly (string | number)[], change: { op: "set" | "delete" | "extra"; value: unknown }): unknown {
  const copy = structuredClone(envelope) as unknown as Record<string | number, unknown>;
  if (path.length === 0) return change.op === "set" ? change.value : copy;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (change.op === "set") parent[last] = change.value;
  else if (change.op === "delete") delete parent[last];
  else if (typeof parent[last] === "object" && parent[last] !== null) (parent[last] as Record<string, unknown>)["undocumented"] = change.value;
  return copy;
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

describe("compiled raw payload parsers", () => {
  const bodies = normalizer.platforms.flatMap((platform) => {
    const adapter = normalizer.adapterFor(platform);
    return fixturesOf(platform).map((fixture) => {
      const text = fixture.body.toString("utf8");
      return { adapter, json: (adapter.parseJson === undefined ? JSON.parse(text) : adapter.parseJson(text)) as unknown };
    });
  });

  it("compile for every built-in adapter and return what zod returns on every fixture body", () => {
    expect(bodies.length).toBeGreaterThan(250);
    for (const { adapter, json } of bodies) {
      const parse = compileParse(adapter.payload);
      expect(parse).toBeDefined();
      const zod = adapter.payload.safeParse(json);
      const compiled = parse!(json);
      if (!zod.success) {
        expect(compiled).toBe(REJECTED);
        continue;
      }
      expect(compiled).toStrictEqual(zod.data);
      expect(JSON.stringify(compiled)).toBe(JSON.stringify(zod.data));
    }
  });

  it("never accept a mutated body zod rejects, nor return anything but zod's output", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bodies).chain((body) =>
          fc.tuple(
            fc.constant(body),
            fc.constantFrom(...pathsOf(body.json)),
            fc.record({ op: fc.constantFrom("set" as const, "delete" as const, "extra" as const), value: anyValue }),
          ),
        ),
        ([{ adapter, json }, path, change]) => {
          const value = mutated(json as UnifiedEvent, path, change);
          const compiled = compileParse(adapter.payload)!(value);
          if (compiled === REJECTED) return;
          const zod = adapter.payload.safeParse(value);
          expect(zod.success).toBe(true);
          expect(compiled).toStrictEqual(zod.data);
          expect(JSON.stringify(compiled)).toBe(JSON.stringify(zod.data));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("compiled envelope parsers", () => {
  it("compile for every event type but the few with constructs left to zod", () => {
    const compiled = EVENT_TYPES.filter((type) => parsers.get(type) !== undefined);
    expect(compiled.length).toBeGreaterThan(EVENT_TYPES.length * 0.9);
  });

  it("accept every fixture's envelope, returning what zod returns", () => {
    expect(envelopes.length).toBeGreaterThan(200);
    for (const envelope of envelopes) {
      const parse = parsers.get(envelope.type);
      if (parse === undefined) continue;
      const compiled = parse(envelope);
      expect(compiled).not.toBe(REJECTED);
      expect(compiled).toStrictEqual(envelopeSchemas[envelope.type].parse(envelope));
    }
  });

  it("never accept a mutated envelope zod rejects, nor return anything but zod's output", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...envelopes).chain((envelope) =>
          fc.tuple(
            fc.constant(envelope),
            fc.constantFrom(...pathsOf(envelope)),
            fc.record({ op: fc.constantFrom("set" as const, "delete" as const, "extra" as const), value: anyValue }),
          ),
        ),
        ([envelope, path, change]) => expectAgreesWithZod(envelope.type, mutated(envelope, path, change)),
      ),
      { numRuns: 3000 },
    );
  });

  it("reorder keys as zod does, and keep a key given as undefined", () => {
    const schema = z.strictObject({ a: z.string(), b: z.string().optional(), c: z.array(z.strictObject({ x: z.number(), y: z.number().optional() })) });
    const parse = compileParse(schema)!;
    const value = { c: [{ y: undefined, x: 1 }], b: undefined, a: "a" };
    expect(JSON.stringify(Object.keys(parse(value) as object))).toBe(JSON.stringify(Object.keys(schema.parse(value))));
    expect(parse(value)).toStrictEqual(schema.parse(value));
  });

  it("give a loose object zod's key order: the shape's keys, then the others as they came", () => {
    const schema = z.looseObject({ a: z.string().optional(), b: z.number() });
    const value = { x: 1, b: 2, a: undefined, y: { deep: [1] } };
    const parsed = compileParse(schema)!(value);
    expect(JSON.stringify(Object.keys(parsed as object))).toBe(JSON.stringify(Object.keys(schema.parse(value))));
    expect(parsed).toStrictEqual(schema.parse(value));
    const withProto = JSON.parse('{"b":1,"__proto__":{"polluted":true}}') as unknown;
    expect(compileParse(schema)!(withProto)).toBe(REJECTED); // left to zod
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
  });

  it("leave to zod what they do not know", () => {
    expect(compileParse(z.strictObject({ a: z.string().transform((text) => text.length) }))).toBeUndefined();
    expect(compileParse(z.strictObject({ a: z.string() }).refine(() => false))).toBeUndefined();
    expect(compileParse(z.object({ a: z.string() }))).toBeUndefined();
    expect(compileParse(z.strictObject({ a: z.string().default("x") }))).toBeUndefined();
    expect(compileParse(z.strictObject({ a: z.email() }))).toBeUndefined();
  });

  it("reject what a strict object does not allow", () => {
    const parse = compileParse(z.strictObject({ a: z.number().int().nonnegative() }))!;
    expect(parse({ a: 1, b: 2 })).toBe(REJECTED);
    expect(parse({ a: 1.5 })).toBe(REJECTED);
    expect(parse({ a: -1 })).toBe(REJECTED);
    expect(parse({ a: Number.NaN })).toBe(REJECTED);
    expect(parse([1])).toBe(REJECTED);
    expect(parse(new Date())).toBe(REJECTED);
    expect(parse({})).toBe(REJECTED);
    expect(parse({ a: 0 })).toStrictEqual({ a: 0 });
  });
});
