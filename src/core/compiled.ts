import type { z } from "zod";

/**
 * A parser compiled once from a zod schema, in plain JavaScript: for a value the schema accepts it returns what
 * zod's `parse` returns (the same values, keys in the shape's order), for any other value `REJECTED`. It walks
 * zod's own schema definition, so it is derived from the one declaration, never written beside it.
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

class Unsupported extends Error {}

interface Def {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [key: string]: unknown;
}

interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: unknown;
  readonly inclusive?: boolean;
  readonly [key: string]: unknown;
}

function defOf(schema: unknown): Def {
  const def = (schema as { _zod?: { def?: Def } })._zod?.def;
  if (def === undefined) throw new Unsupported("not a zod schema");
  return def;
}

function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((check) => check._zod.def);
}

function regexOf(check: CheckDef): RegExp {
  const pattern = check.pattern;
  if (!(pattern instanceof RegExp) || pattern.global || pattern.sticky) throw new Unsupported("pattern");
  return pattern;
}

/** A string check: regex formats (explicit regexes and ISO datetimes are regex-only in zod 4) and lengths. */
function stringCheck(check: CheckDef): (value: string) => boolean {
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
      if (check.format !== "regex" && check.format !== "datetime") throw new Unsupported(`format ${String(check.format)}`);
      const pattern = regexOf(check);
      return (value) => pattern.test(value);
    }
    default:
      throw new Unsupported(`string check ${check.check}`);
  }
}

function numberCheck(check: CheckDef): (value: number) => boolean {
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

function allOf<T>(tests: readonly ((value: T) => boolean)[]): (value: T) => boolean {
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0]!;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

/** A plain object (JSON's, or a literal): a Date or a class instance is left to zod, which would copy it. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function noChecks(def: Def): void {
  if ((def.checks ?? []).length > 0) throw new Unsupported(`checks on ${def.type}`);
}

function compile(schema: unknown): CompiledParse {
  const def = defOf(schema);
  switch (def.type) {
    case "string": {
      const tests = checksOf(def).map(stringCheck);
      // a format schema (z.iso.datetime(), z.email()) carries its own check on the definition itself
      if (def["check"] !== undefined) tests.unshift(stringCheck(def as unknown as CheckDef));
      const test = allOf(tests);
      return (value) => (typeof value === "string" && test(value) ? value : REJECTED);
    }
    case "number": {
      if (def["check"] !== undefined) throw new Unsupported("number schema with its own check");
      const test = allOf(checksOf(def).map(numberCheck));
      // zod 4 numbers reject NaN and ±Infinity
      return (value) => (typeof value === "number" && Number.isFinite(value) && test(value) ? value : REJECTED);
    }
    case "boolean":
      noChecks(def);
      return (value) => (typeof value === "boolean" ? value : REJECTED);
    case "null":
      noChecks(def);
      return (value) => (value === null ? value : REJECTED);
    case "literal": {
      noChecks(def);
      const values = def["values"];
      if (!Array.isArray(values) || values.includes(undefined)) throw new Unsupported("literal");
      const accepted = new Set<unknown>(values);
      return (value) => (accepted.has(value) ? value : REJECTED);
    }
    case "enum": {
      noChecks(def);
      const entries = def["entries"];
      if (!isPlainObject(entries)) throw new Unsupported("enum");
      const accepted = new Set<unknown>(Object.values(entries));
      return (value) => (accepted.has(value) ? value : REJECTED);
    }
    case "optional": {
      noChecks(def);
      const inner = compile(def["innerType"]);
      return (value) => (value === undefined ? value : inner(value));
    }
    case "array": {
      noChecks(def);
      const element = compile(def["element"]);
      return (value) => {
        if (!Array.isArray(value)) return REJECTED;
        const out: unknown[] = new Array(value.length);
        for (let index = 0; index < value.length; index++) {
          const item = element(value[index]);
          if (item === REJECTED) return REJECTED;
          out[index] = item;
        }
        return out;
      };
    }
    case "union": {
      noChecks(def);
      const options = def["options"];
      if (!Array.isArray(options)) throw new Unsupported("union");
      const parsers = options.map(compile);
      return (value) => {
        for (const parse of parsers) {
          const out = parse(value);
          if (out !== REJECTED) return out;
        }
        return REJECTED;
      };
    }
    case "record": {
      noChecks(def);
      const keyDef = defOf(def["keyType"]);
      if (keyDef.type !== "string" || (keyDef.checks ?? []).length > 0 || keyDef["check"] !== undefined) throw new Unsupported("record key");
      const valueParse = compile(def["valueType"]);
      return (value) => {
        if (!isPlainObject(value)) return REJECTED;
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
          const item = valueParse(value[key]);
          if (item === REJECTED || key === "__proto__") return REJECTED;
          out[key] = item;
        }
        return out;
      };
    }
    case "nullable": {
      noChecks(def);
      const inner = compile(def["innerType"]);
      return (value) => (value === null ? value : inner(value));
    }
    case "unknown":
      noChecks(def);
      return (value) => value;
    case "object":
      return compileObject(def);
    default:
      throw new Unsupported(def.type);
  }
}

/**
 * Strict objects, and loose ones whose other keys may hold anything (a stripping one is left to zod). The output
 * has zod's key order: the shape's keys, then a loose object's other keys in the input's order. A key present
 * in the input (even as `undefined`) is present in the output, an absent one stays absent.
 */
function compileObject(def: Def): CompiledParse {
  noChecks(def);
  const catchall = def["catchall"];
  const catchallType = catchall === undefined ? undefined : defOf(catchall);
  const loose = catchallType?.type === "unknown" && (catchallType.checks ?? []).length === 0;
  if (catchallType?.type !== "never" && !loose) throw new Unsupported("stripping object");
  const shape = def["shape"];
  if (!isPlainObject(shape)) throw new Unsupported("object shape");
  const fields = Object.entries(shape).map(([key, field]) => ({ key, parse: compile(field), required: defOf(field).type !== "optional" }));
  const indexOf = new Map(fields.map((field, index) => [field.key, index]));
  const required = fields.filter((field) => field.required).length;
  // walks the keys the value has (an envelope sets a few of its many optional fields), not the whole shape
  return (value) => {
    if (!isPlainObject(value)) return REJECTED;
    const keys = Object.keys(value);
    const indexes: number[] = [];
    const parsed: unknown[] = [];
    let requiredPresent = 0;
    let inOrder = true;
    for (const key of keys) {
      const index = indexOf.get(key);
      if (index === undefined) {
        if (!loose) return REJECTED;
        continue;
      }
      const field = fields[index]!;
      const item = field.parse(value[key]);
      if (item === REJECTED) return REJECTED;
      if (field.required) requiredPresent++;
      if (indexes.length > 0 && index < indexes[indexes.length - 1]!) inOrder = false;
      indexes.push(index);
      parsed[index] = item;
    }
    if (requiredPresent !== required) return REJECTED;
    if (!inOrder) indexes.sort((a, b) => a - b);
    const out: Record<string, unknown> = {};
    for (const index of indexes) out[fields[index]!.key] = parsed[index];
    if (loose && indexes.length !== keys.length) {
      for (const key of keys) {
        if (indexOf.has(key)) continue;
        // JSON.parse makes an own `__proto__` a data key; what zod makes of it is left to zod
        if (key === "__proto__") return REJECTED;
        out[key] = value[key];
      }
    }
    return out;
  };
}

/** The compiled parser of a schema, or `undefined` when the schema uses anything the compiler does not know. */
export function compileParse(schema: z.ZodType, explain?: (reason: string) => void): CompiledParse | undefined {
  try {
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
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  let parse = parsers.get(schema);
  if (parse === undefined) {
    parse = compileParse(schema) ?? null;
    parsers.set(schema, parse);
  }
  if (parse !== null) {
    const parsed = parse(value);
    if (parsed !== REJECTED) return { success: true, data: parsed as z.output<S> };
  }
  return schema.safeParse(value) as z.ZodSafeParseResult<z.output<S>>;
}
