import { z } from "zod";

/**
 * A loose object whose listed members are optional strings: most of what platforms nest in a payload is this. For
 * the raw schemas of adapters (loose: platforms add fields without notice); extend it for the other members.
 */
export function optionalStrings<K extends string>(...keys: K[]) {
  return z.looseObject(
    Object.fromEntries(keys.map((key) => [key, z.string().optional()])) as { [P in K]: z.ZodOptional<z.ZodString> },
  );
}
