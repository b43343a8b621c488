import fc from "fast-check";
import { fixturesOf } from "../support/fixtures";
import { deliver, expectSound, JSON_PLATFORMS, pathsOf, withAt, type Json } from "./support";

/*
 * Property tests: random JSON, and structure-aware mutations of every fixture, each signed so the parser is
 * reached. Whatever the input, the outcome is envelopes plus unhandled records (200) or a typed 4xx error: never
 * a 5xx, never a throw of another class, and every envelope matches the catalogue. FUZZ_RUNS=N runs more.
 */
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 60);
jest.setTimeout(Math.max(30_000, RUNS * 1_000));

/** Values that stress the mappers: prototype names, limits of numbers and times, deep-ish structures. */
const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    "__proto__",
    "constructor",
    "toString",
    "prototype",
    "",
    -1,
    0,
    2 ** 53 + 1,
    253402300800000,
    1e21,
    "+010000-01-01T00:00:00Z",
    "\ud800",
    [],
    {},
    null,
  ),
  fc.dictionary(
    fc.constantFrom("__proto__", "constructor", "prototype", "type", "id", "text"),
    fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  ) as fc.Arbitrary<Json>,
);

interface Mutation {
  readonly pick: number;
  readonly kind: "replace" | "delete" | "add-key";
  readonly value: Json;
  readonly key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom("replace", "delete", "add-key"),
  value: hostileValue,
  key: fc.constantFrom("__proto__", "constructor", "type", "extra", "id"),
});

function mutate(document: Json, steps: readonly Mutation[]): Json {
  let current = document;
  for (const step of steps) {
    const paths = pathsOf(current);
    if (paths.length === 0) break;
    const path = paths[step.pick % paths.length]!;
    if (step.kind === "replace") current = withAt(current, path, step.value);
    else if (step.kind === "delete") current = withAt(current, path, undefined);
    else {
      const target = path.reduce<Json>((value, key) => (value as Record<string | number, Json>)[key]!, current);
      const isObject = target !== null && typeof target === "object" && !Array.isArray(target);
      current = isObject
        ? withAt(current, [...path, step.key], step.value)
        : withAt(current, path, { [step.key]: step.value });
    }
  }
  return current;
}

describe.each(JSON_PLATFORMS)("%s under random input", (platform) => {
  const fixtures = fixturesOf(platform).map((fixture) => JSON.parse(fixture.body.toString("utf8")) as Json);

  it("answers random JSON with a 200 or a typed 4xx, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        expectSound(await deliver(platform, JSON.stringify(value)));
      }),
      { numRuns: RUNS, seed: 9 },
    );
  });

  it("answers mutated fixtures with envelopes and unhandled records or a typed 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: fixtures.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (index, steps) => {
          expectSound(await deliver(platform, JSON.stringify(mutate(fixtures[index]!, steps))));
        },
      ),
      { numRuns: RUNS * 3, seed: 17 },
    );
  });
});
