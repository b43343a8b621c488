import fc from "fast-check";
import { z } from "zod";
import type { DriftCatalogue } from "../../src/core";
import { compileDrift } from "../../src/core/engine";

/*
 * The walk remembers, per node, the keys of the last object whose keys were all known and compares the next
 * object's keys with them in order before looking any up. A detector used for many bodies (its nodes remember)
 * must answer each body as a detector compiled for that body alone (nothing remembered) does.
 */
const User = z.looseObject({ id: z.string(), name: z.string().optional(), kind: z.enum(["a", "b"]).optional() });
const Item = z.looseObject({ id: z.string(), status: z.enum(["sent", "read"]), user: User.optional() });
const catalogue: DriftCatalogue = {
  schemas: [{ at: "", schema: z.looseObject({ items: z.array(Item), meta: z.record(z.string(), User).optional() }) }],
  ignored: ["items[].note", "extra.**", "Media{N}"],
  variants: [{ at: "changes[]", by: "field", cases: { x: { values: { "value.state": ["on", "off"] } } } }],
};

const KEYS = ["id", "status", "user", "note", "name", "kind", "new_one", "Media0", "Media01", "field", "value"];
const value = fc.oneof(
  fc.constantFrom("sent", "read", "a", "b", "c", "on", "maybe", "x", "y", 1, true, null),
  fc.constant([]),
);
const object = (depth: number): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .array(fc.tuple(fc.constantFrom(...KEYS), depth > 0 ? fc.oneof(value, object(depth - 1)) : value), {
      maxLength: 6,
    })
    .map((entries) => Object.fromEntries(entries));
const body = fc.record(
  {
    items: fc.array(object(2), { maxLength: 5 }),
    meta: fc.dictionary(fc.constantFrom("u1", "u2", "u3"), object(1), { maxKeys: 3 }),
    changes: fc.array(object(2), { maxLength: 3 }),
    extra: object(1),
    top: value,
  },
  { requiredKeys: ["items"] },
);

describe("the drift walk's remembered keys", () => {
  it("answer every body in a sequence as a detector that remembers nothing does", () => {
    const shared = compileDrift(catalogue);
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 12 }), (bodies) => {
        for (const one of bodies) expect(shared(one)).toEqual(compileDrift(catalogue)(one));
      }),
      { numRuns: 400 },
    );
  });

  it("answer repeats of one shape, then a shape that differs late, then the first again", () => {
    const detect = compileDrift(catalogue);
    const known = { id: "1", status: "sent", user: { id: "u", name: "n" } };
    const late = { id: "1", status: "sent", user: { id: "u", name: "n", new_one: 1 } };
    for (const item of [known, known, late, known, late, late, known])
      expect(detect({ items: [item] })).toEqual(compileDrift(catalogue)({ items: [item] }));
    expect(detect({ items: [late] })).toEqual([
      { path: "items[].user.new_one", change: "field", value_kind: "number", example: "1", count: 1 },
    ]);
  });
});
