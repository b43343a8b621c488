import { isPlainObject } from "../objects";
import {
  allOf,
  checksOf,
  defOf,
  noChecks,
  numberCheck,
  objectKind,
  REJECTED,
  stringCheck,
  Unsupported,
  type CheckDef,
  type CompiledParse,
  type Def,
} from "./zod-def";

/** The closure back end: the same rules as the generator (codegen.ts), for runtimes that forbid `new Function`. */
export function compile(schema: unknown): CompiledParse {
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
      if (keyDef.type !== "string" || (keyDef.checks ?? []).length > 0 || keyDef["check"] !== undefined)
        throw new Unsupported("record key");
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
  const { loose, shape } = objectKind(def);
  const fields = Object.entries(shape).map(([key, field]) => ({
    key,
    parse: compile(field),
    required: defOf(field).type !== "optional",
  }));
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
