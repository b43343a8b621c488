import { z } from "zod";
import { compile } from "./closures";
import { generate } from "./codegen";
import { REJECTED, Unsupported, type CompiledParse } from "./zod-def";

/** How `compileParse` builds a parser; both are for tests and for callers that own their input. */
export interface CompileOptions {
  /**
   * Generate one JavaScript function per schema with `new Function` (the default where the runtime allows it:
   * `new Function` is tried once, and zod's `jitless` setting is respected), or `false` for the closures.
   */
  readonly codegen?: boolean;
  /**
   * Return a plain object or an array of the input itself, instead of a copy, when the copy would be
   * indistinguishable from it: an object's keys already in zod's order, an array's prototype `Array.prototype`
   * and no holes, and every child returned as it was. What a copy would not carry and `JSON.parse` never makes
   * (symbol keys, non-enumerable properties, named properties on an array) is not looked for. Only for a caller
   * that owns the input and does not need zod's fresh object (`parseWith`, see there). The closures always copy.
   * Default false.
   */
  readonly reuseInput?: boolean;
}

let evalAllowed: boolean | undefined;

/** Whether this runtime lets us generate code: Cloudflare Workers and a strict CSP forbid `new Function`. */
function canGenerate(): boolean {
  // zod's own switch for runtimes that report even a caught `new Function` (a strict CSP): honoured, never cached
  if ((z.config() as { jitless?: boolean }).jitless === true) return false;
  if (evalAllowed === undefined) {
    try {
      evalAllowed = typeof new Function("") === "function";
    } catch {
      evalAllowed = false;
    }
  }
  return evalAllowed;
}

/** The compiled parser of a schema, or `undefined` when the schema uses anything the compiler does not know. */
export function compileParse(
  schema: z.ZodType,
  explain?: (reason: string) => void,
  options: CompileOptions = {},
): CompiledParse | undefined {
  try {
    if (options.codegen ?? canGenerate()) return generate(schema, options.reuseInput === true);
    return compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) {
      explain?.(error.message);
      return undefined;
    }
    throw error;
  }
}

const parsers = new WeakMap<z.ZodType, CompiledParse | null>();

/**
 * `schema.safeParse(value)`, answered by the schema's compiled parser when it accepts the value; zod runs when it
 * does not (to decide, and to word the issues with their paths) or when the schema does not compile.
 *
 * Unlike zod, the data may be the value itself, or share plain objects with it, where a copy would hold the same
 * keys in the same order and the same values (`CompileOptions.reuseInput`): every caller in the pipeline parses
 * what it owns (a body it has just `JSON.parse`d, or a part of one) and never mutates it. A caller that needs
 * its input and the result to be separate objects uses `schema.safeParse` or `compileParse` without the option.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  const parsed = parseCompiled(schema, value);
  if (parsed !== REJECTED) return { success: true, data: parsed as z.output<S> };
  return schema.safeParse(value) as z.ZodSafeParseResult<z.output<S>>;
}

/**
 * `parseWith`'s first step alone: the output of the schema's compiled parser (the same data `parseWith` gives),
 * or `REJECTED` when that parser refuses the value or the schema does not compile, and the caller asks zod
 * (`schema.safeParse`), which decides. For the hot path, where an accepted value should cost no result object.
 */
export function parseCompiled(schema: z.ZodType, value: unknown): unknown {
  let parse = parsers.get(schema);
  if (parse === undefined) {
    parse = compileParse(schema, undefined, { reuseInput: true }) ?? null;
    parsers.set(schema, parse);
  }
  return parse === null ? REJECTED : parse(value);
}
