import fc from "fast-check";
import { z } from "zod";
import { compileParse, parseWith, REJECTED } from "../../src/core/engine";
import { parseCompiled } from "../../src/core/engine/parse";
import { expectAgrees } from "../support/compiled";

/*
 * The compiled parsers' options and environments: reusing their input, a schema with a catch, and a runtime
 * where new Function is refused (split from compiled.test.ts, which checks agreement with zod on fixtures).
 */

describe("generated parsers reusing their input", () => {
  const schema = z.strictObject({
    a: z.string(),
    b: z.strictObject({ c: z.number() }).optional(),
    d: z.array(z.strictObject({ e: z.string() })).optional(),
  });
  const loose = z.looseObject({ a: z.string(), b: z.strictObject({ c: z.number() }) });
  const parse = compileParse(schema, undefined, { codegen: true, reuseInput: true })!;
  const parseLoose = compileParse(loose, undefined, { codegen: true, reuseInput: true })!;

  it("return the input itself when it already is what zod returns", () => {
    const value = JSON.parse('{"a":"x","b":{"c":1}}') as unknown;
    expect(parse(value)).toBe(value);
    const looseValue = JSON.parse('{"a":"x","b":{"c":1},"z":[1]}') as unknown;
    expect(parseLoose(looseValue)).toBe(looseValue);
  });

  it("copy where zod's key order differs, and reuse the children that did not change", () => {
    const value = JSON.parse('{"b":{"c":1},"a":"x"}') as { b: object };
    const parsed = parse(value) as { b: object };
    expect(parsed).not.toBe(value);
    expect(Object.keys(parsed)).toEqual(["a", "b"]);
    expect(parsed.b).toBe(value.b);
    const looseValue = JSON.parse('{"z":1,"a":"x","b":{"c":1}}') as unknown;
    expect(Object.keys(parseLoose(looseValue) as object)).toEqual(["a", "b", "z"]);
  });

  it("return an array as it was, and so the objects holding it", () => {
    const value = JSON.parse('{"a":"x","d":[{"e":"f"},{"e":"g"}]}') as unknown;
    expect(parse(value)).toBe(value);
    const empty = JSON.parse('{"a":"x","d":[]}') as unknown;
    expect(parse(empty)).toBe(empty);
  });

  it("copy an array whose element changed, reusing the others, each element checked", () => {
    const items = z.strictObject({ list: z.array(z.strictObject({ e: z.string(), f: z.string().optional() })) });
    const parseItems = compileParse(items, undefined, { codegen: true, reuseInput: true })!;
    for (const text of [
      '{"list":[{"e":"1"},{"e":"2"},{"f":"3","e":"4"}]}',
      '{"list":[{"f":"3","e":"4"},{"e":"1"}]}',
      '{"list":[{"e":"1"},{"f":"3","e":"4"},{"e":"1"}]}',
    ]) {
      const value = JSON.parse(text) as { list: object[] };
      const parsed = expectAgrees(items, parseItems, value) as { list: object[] };
      expect(parsed).not.toBe(value);
      expect(parsed.list).not.toBe(value.list);
      parsed.list.forEach((item, index) => {
        const inOrder = Object.keys(value.list[index]!)[0] === "e";
        expect(item === value.list[index]).toBe(inOrder);
      });
    }
    expect(parseItems({ list: [{ e: "1" }, { e: 2 }] })).toBe(REJECTED);
    expect(parseItems({ list: [{ f: "3", e: "4" }, { e: 2 }] })).toBe(REJECTED);
  });

  it("copy an array with a hole or of another prototype, as zod does", () => {
    const list = z.strictObject({ list: z.array(z.unknown()) });
    const parseList = compileParse(list, undefined, { codegen: true, reuseInput: true })!;
    // eslint-disable-next-line no-sparse-arrays
    const holes = [[1, , 3], [, 1], Object.assign([1, 2], { 1: undefined })];
    class Sub extends Array<unknown> {}
    for (const array of [...holes, Sub.from([1, 2]), Object.setPrototypeOf([1], Object.prototype) as unknown[]]) {
      const value = { list: array };
      const parsed = parseList(value) as { list: unknown[] } | typeof REJECTED;
      if (parsed === REJECTED) throw new Error("an array zod takes was refused");
      expect(parsed.list).toStrictEqual(list.parse(value).list);
      expect(Object.getPrototypeOf(parsed.list)).toBe(Array.prototype);
      expect(parsed.list.every((_, index) => Object.hasOwn(parsed.list, index))).toBe(true);
    }
    const own = [1, undefined, 3];
    expect((parseList({ list: own }) as { list: unknown[] }).list).toBe(own);
  });

  it("copy an object without a prototype", () => {
    const value = Object.assign(Object.create(null) as object, { a: "x" });
    expect(parse(value)).not.toBe(value);
  });

  it("tell the prototype right after many plain objects of one shape (where TurboFan folds it)", () => {
    const plain = JSON.parse('{"a":"x","b":{"c":1}}') as unknown;
    for (let round = 0; round < 20_000; round++) expect(parse(plain)).toBe(plain);
    class Shaped {
      a = "x";
      b = { c: 1 };
    }
    expect(parse(new Shaped())).toBe(REJECTED);
    expect(parse(Object.assign(Object.create({ z: 1 }) as object, { a: "x", b: { c: 1 } }))).toBe(REJECTED);
    expect(parse(Object.setPrototypeOf({ a: "x", b: { c: 1 } }, Array.prototype))).toBe(REJECTED);
    const bare = Object.assign(Object.create(null) as object, { a: "x", b: { c: 1 } });
    expect(parse(bare)).toStrictEqual({ a: "x", b: { c: 1 } });
    expect(parse(plain)).toBe(plain);
    const list = [{ e: "f" }];
    const value = { a: "x", d: list };
    for (let round = 0; round < 20_000; round++) expect(parse(value)).toBe(value);
    class List extends Array<unknown> {}
    const sub = { a: "x", d: List.from(list) };
    expect(Object.getPrototypeOf((parse(sub) as { d: unknown[] }).d)).toBe(Array.prototype);
  });
});

describe("generated parsers building objects whose keys vary", () => {
  const fc = jest.requireActual<typeof import("fast-check")>("fast-check");
  const keys = Array.from({ length: 14 }, (_, index) => `k${index}`);
  const strict = z.strictObject({
    id: z.string(),
    ...Object.fromEntries(keys.map((key) => [key, z.number().optional()])),
  });
  const loose = z.looseObject({ id: z.string(), k0: z.number() });

  it.each([false, true])("return zod's plain objects, whatever keys they hold (reuseInput %s)", (reuseInput) => {
    const parseStrict = compileParse(strict, undefined, { codegen: true, reuseInput })!;
    const parseLoose = compileParse(loose, undefined, { codegen: true, reuseInput })!;
    const plain = (value: unknown) => {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect((value as object).constructor).toBe(Object);
      expect(Object.getOwnPropertyNames(value)).toEqual(Object.keys(value as object));
    };
    fc.assert(
      fc.property(
        fc.subarray(keys),
        fc.dictionary(fc.string(), fc.integer(), { maxKeys: 12 }),
        fc.boolean(),
        (present, extra, reversed) => {
          const fields = present.map((key, index) => [key, index] as const);
          const value = Object.fromEntries([["id", "a"], ...(reversed ? fields.reverse() : fields)]);
          const parsed = expectAgrees(strict, parseStrict, value);
          expect(parsed).not.toBe(REJECTED);
          plain(parsed);
          const looseValue = { ...extra, id: "a", k0: 1 };
          const looseParsed = expectAgrees(loose, parseLoose, looseValue);
          if (looseParsed !== REJECTED) plain(looseParsed);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("generated parsers with a catch", () => {
  const fc = jest.requireActual<typeof import("fast-check")>("fast-check");
  const time = z.union([z.number(), z.string()]);
  const schema = z.looseObject({
    id: z.string().min(1),
    time: time.optional().catch(undefined),
    count: z.number().catch(() => 0),
  });

  it.each([false, true])(
    "return what zod returns for values the inner schema takes and for values it catches (reuseInput %s)",
    (reuseInput) => {
      const parse = compileParse(schema, undefined, { codegen: true, reuseInput })!;
      expect(parse).toBeDefined();
      const values: unknown[] = [
        { id: "a", time: 1, count: 2 },
        { id: "a", time: "2024", count: 2, extra: [1] },
        { id: "a", time: null, count: 2 },
        { id: "a", time: { nested: true }, count: "x" },
        { id: "a", time: 1, count: 2, __proto__: null },
        { id: "", time: 1, count: 2 },
      ];
      for (const value of values) expectAgrees(schema, parse, value);
      expect(parse({ id: "a", time: [], count: 1 })).toEqual({ id: "a", time: undefined, count: 1 });
      fc.assert(
        fc.property(
          fc.record({ id: fc.string(), time: fc.anything(), count: fc.anything() }, { requiredKeys: ["id"] }),
          (value) => {
            expectAgrees(schema, parse, value);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});

describe("where new Function is not allowed", () => {
  const schema = z.strictObject({ a: z.string(), b: z.array(z.number()) });

  it("generate code by default where it is allowed", () => {
    expect(compileParse(schema)!.name).toMatch(/^convotic_object_/);
  });

  it("fall back to the closures when zod is told not to generate code (jitless)", () => {
    z.config({ jitless: true });
    try {
      const parse = compileParse(schema)!;
      expect(parse.name).not.toMatch(/^convotic_/);
      expect(parse({ a: "a", b: [1] })).toStrictEqual({ a: "a", b: [1] });
      expect(parse({ a: "a", b: ["1"] })).toBe(REJECTED);
    } finally {
      z.config({ jitless: false });
    }
  });

  it("fall back to the closures when new Function throws, as on Cloudflare Workers", () => {
    const original = globalThis.Function;
    jest.isolateModules(() => {
      const { compileParse: isolated, REJECTED: rejected } =
        jest.requireActual<typeof import("../../src/core/engine")>("../../src/core/engine");
      // the runtime's refusal: constructing a function from text throws an EvalError
      globalThis.Function = new Proxy(original, {
        construct() {
          throw new EvalError("Code generation from strings disallowed for this context");
        },
      });
      try {
        const parse = isolated(schema)!;
        expect(parse.name).not.toMatch(/^convotic_/);
        expect(parse({ a: "a", b: [1] })).toStrictEqual({ a: "a", b: [1] });
        expect(parse({ a: 1, b: [] })).toBe(rejected);
      } finally {
        globalThis.Function = original;
      }
    });
  });
});

describe("parseCompiled, parseWith's first step", () => {
  const compiles = z.strictObject({ a: z.string().min(1), b: z.array(z.number()).optional() });
  const refined = z.string().refine((value) => value.startsWith("a")); // does not compile: always zod's

  it("gives parseWith's data when the compiled parser accepts, and REJECTED only where parseWith asks zod", () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.record({ a: fc.string(), b: fc.array(fc.oneof(fc.integer(), fc.string())) }, { requiredKeys: ["a"] }),
    );
    fc.assert(
      fc.property(value, (input) => {
        for (const schema of [compiles, refined] as z.ZodType[]) {
          const fast = parseCompiled(schema, input);
          const full = parseWith(schema, input);
          const zod = schema.safeParse(input);
          if (fast === REJECTED) {
            expect(full.success).toBe(zod.success);
            if (zod.success) expect(full.data).toStrictEqual(zod.data);
          } else {
            expect(full).toEqual({ success: true, data: fast });
            expect(zod.success && JSON.stringify(zod.data)).toBe(JSON.stringify(fast));
          }
        }
      }),
      { numRuns: 500, seed: 28 },
    );
    expect(parseCompiled(refined, "abc")).toBe(REJECTED);
    const accepted = { a: "x", b: [1] };
    expect(parseCompiled(compiles, accepted)).toBe(accepted); // reused, as parseWith does
  });
});
