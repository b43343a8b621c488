import type { z } from "zod";
import { REJECTED } from "../../src/core/engine";

/** What zod returns, then what the compiled parser returns: it must be REJECTED or the same (keys in the same order). */
export function expectAgrees(schema: z.ZodType, parse: (value: unknown) => unknown, value: unknown): unknown {
  const before = JSON.stringify(value);
  const compiled = parse(value);
  expect(JSON.stringify(value)).toBe(before); // the input is never changed
  if (compiled === REJECTED) return compiled;
  const zod = schema.safeParse(value);
  expect(zod.success).toBe(true);
  expect(compiled).toStrictEqual(zod.data);
  expect(JSON.stringify(compiled)).toBe(JSON.stringify(zod.data));
  return compiled;
}
