import { isPlainObject } from "../objects";
import { exactTestOf } from "./exact-tests";

/**
 * A parser compiled once from a zod schema, in plain JavaScript: for a value the schema accepts it returns what
 * zod's `parse` returns (the same values, keys in the shape's order), for any other value `REJECTED`. It walks
 * zod's own schema definition, so it is derived from the one declaration, never written beside it: into
 * generated code (`Generator`, codegen.ts) where the runtime allows `new Function`, into closures (`compile`, closures.ts)
 * where not. `defOf` below is the one place that reaches zod's internal definition (`_zod.def`).
 *
 * It is an accelerator, not a second source of truth: `compileParse` gives `undefined` for a schema with any
 * construct it does not know (a refinement, a transform, a default, a loose object, a format other than a regex
 * or an ISO datetime, ...), and callers run zod itself whenever it answers `REJECTED`, so zod still decides
 * every rejection and words every error; a parser stricter than zod only costs time. `test/core/compiled.test.ts`
 * checks it against zod on every fixture's envelopes and on arbitrary values.
 */
export type CompiledParse = (value: unknown) => unknown;

/** What a compiled parser returns for a value it does not accept as zod would. */
export const REJECTED: unique symbol = Symbol("rejected");

export class Unsupported extends Error {}

export interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [key: string]: unknown;
}

export interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly [key: string]: unknown;
}

export function defOf(schema: unknown): Def {
  const def = (schema as { _zod?: { def?: Def } })._zod?.def;
  if (def === undefined) throw new Unsupported("not a zod schema");
  return def;
}

export function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((check) => check._zod.def);
}

export function regexOf(check: CheckDef): RegExp {
  const pattern = check.pattern;
  if (!(pattern instanceof RegExp) || pattern.global || pattern.sticky) throw new Unsupported("pattern");
  return pattern;
}

/** A string check: regex formats (explicit regexes and ISO datetimes are regex-only in zod 4) and lengths. */
export function stringCheck(check: CheckDef): (value: string) => boolean {
  switch (check.check) {
    case "min_length": {
      const minimum = check.minimum;
      if (typeof minimum !== "number") throw new Unsupported("min_length");
      return (value) => value.length >= minimum;
    }
    case "max_length": {
      const maximum = check.maximum;
      if (typeof maximum !== "number") throw new Unsupported("max_length");
      return (value) => value.length <= maximum;
    }
    case "string_format": {
      if (check.format !== "regex" && check.format !== "datetime")
        throw new Unsupported(`format ${String(check.format)}`);
      const pattern = regexOf(check);
      return exactTestOf(pattern) ?? ((value) => pattern.test(value));
    }
    default:
      throw new Unsupported(`string check ${check.check}`);
  }
}

export function numberCheck(check: CheckDef): (value: number) => boolean {
  switch (check.check) {
    case "number_format":
      if (check.format !== "safeint") throw new Unsupported(`number format ${String(check.format)}`);
      return Number.isSafeInteger;
    case "greater_than": {
      const bound = check.value;
      if (typeof bound !== "number") throw new Unsupported("greater_than");
      return check.inclusive === true ? (value) => value >= bound : (value) => value > bound;
    }
    case "less_than": {
      const bound = check.value;
      if (typeof bound !== "number") throw new Unsupported("less_than");
      return check.inclusive === true ? (value) => value <= bound : (value) => value < bound;
    }
    default:
      throw new Unsupported(`number check ${check.check}`);
  }
}

export function allOf<T>(tests: readonly ((value: T) => boolean)[]): (value: T) => boolean {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

export function noChecks(def: Def): void {
  if ((def.checks ?? []).length > 0) throw new Unsupported(`checks on ${def.type}`);
}

/** An object schema's shape, and whether it is loose (other keys hold anything) or strict; a stripping one is unsupported. */
export function objectKind(def: Def): { readonly loose: boolean; readonly shape: Record<string, unknown> } {
  noChecks(def);
  const catchall = def["catchall"];
  const catchallType = catchall === undefined ? undefined : defOf(catchall);
  const loose = catchallType?.type === "unknown" && (catchallType.checks ?? []).length === 0;
  if (catchallType?.type !== "never" && !loose) throw new Unsupported("stripping object");
  const shape = def["shape"];
  if (!isPlainObject(shape)) throw new Unsupported("object shape");
  return { loose, shape };
}
