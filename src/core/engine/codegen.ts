import type { z } from "zod";
import { isPlainObject } from "../objects";
import {
  checksOf,
  defOf,
  noChecks,
  objectKind,
  REJECTED,
  regexOf,
  Unsupported,
  type CheckDef,
  type CompiledParse,
  type Def,
} from "./zod-def";
import { exactTestOf } from "./exact-tests";

/*
 * The code generator. It accepts the constructs `compile` accepts (but object keys that `Object.prototype` has,
 * `__proto__` or integer-like, whose schemas go to zod), with zod's semantics, and emits one
 * function per schema: a helper function per object, array, union and record it contains, and the checks of
 * strings, numbers, literals and enums inline at their use. Property names are fixed (`v["id"]`), so V8 gives
 * each read an inline cache for the one shape an object of that schema has, where the closures made keyed loads
 * over whatever keys the value had. Nothing of the schema is interpolated as code but JSON-encoded keys and
 * literal values and finite numbers; regexes, sets and other values are passed in as arguments.
 */

/** Generated: return R unless `v` is a plain object (`isPlainObject`; a Date or a class instance is left to zod). */
const PLAIN_OBJECT_GUARD = `if (typeof v !== "object" || v === null) return R;\nconst p = getPrototypeOf(v);\nif (p !== OP && p !== null) return R;\n`;

/**
 * The same guard for an object schema, with the shape's first key read (into `probe`) before the prototype is.
 * `getPrototypeOf` is a call into the runtime unless TurboFan knows the value's maps, and right after a property
 * read it does: the read checks the maps its inline cache saw, and when they all have one prototype the call
 * folds to that constant (a map the cache did not see deoptimises, and the next code takes the call again). What
 * it accepts is unchanged: the read is one this parser makes of every plain object anyway and first in the
 * shape's order, so on what it accepts the reads and their order are the same; when that first key is optional
 * and absent, the read only finds the prototype (`Object.prototype` or none) without it. A value it refuses
 * (a Date, a class instance, a proxy) may now have that one property read before zod reads it again.
 */
const probedGuard = (key: string): string =>
  `if (typeof v !== "object" || v === null) return R;\nconst probe = v[${quoted(key)}];\nconst p = getPrototypeOf(v);\nif (p !== OP && p !== null) return R;\n`;

/**
 * A constructor of plain objects for an output whose keys vary. V8 gives a literal as many in-object slots as it has
 * keys, and every key added after it goes to a separate property array, allocated and grown by three; a
 * constructor's objects get slots for the most keys its objects have had (in-object slack tracking). Its
 * objects are what a literal makes, observably: prototype `Object.prototype`, so `constructor` is `Object`.
 */
function plainConstructor(): new () => object {
  const Plain = function () {} as unknown as { prototype: object; new (): object };
  Plain.prototype = Object.prototype;
  return Plain;
}

/** An own property name is emitted as a JSON string: the schema is ours, but a key is still never code. */
const quoted = (key: string): string => JSON.stringify(key);

/** Integer-like keys are enumerated before the others whatever the insertion order: a shape with one is left to zod. */
const INTEGER_LIKE = /^(?:0|[1-9]\d*)$/;

interface Emitted {
  /** statements that read the input variable, `return R` when zod would reject, and leave the output in `out` */
  readonly code: string;
  /** the expression holding the output: the input variable itself when the value is returned unchanged */
  readonly out: string;
}

class Generator {
  private readonly constants: unknown[] = [];
  private readonly memos: string[] = [];
  private readonly helpers: string[] = [];
  private readonly helperOf = new Map<unknown, string>();
  private next = 0;

  constructor(private readonly reuse: boolean) {}

  build(schema: unknown): CompiledParse {
    const top = this.helper(schema);
    const names = this.constants.map((_, index) => `c${index}`);
    const memos = this.memos.length === 0 ? "" : `let ${this.memos.join(", ")};\n`;
    const body = `"use strict";\n${memos}${this.helpers.join("\n")}\nreturn ${top};`;
    const factory = new Function("R", "OP", "AP", "getPrototypeOf", "isArray", "hasOwn", ...names, body) as (
      ...args: unknown[]
    ) => CompiledParse;
    return factory(
      REJECTED,
      Object.prototype,
      Array.prototype,
      Object.getPrototypeOf,
      Array.isArray,
      Object.hasOwn,
      ...this.constants,
    );
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `c${this.constants.length - 1}`;
  }

  private name(prefix: string): string {
    return `${prefix}${this.next++}`;
  }

  /** A JavaScript literal for a primitive that `===` compares as the schema does, or `undefined`. */
  private literal(value: unknown): string | undefined {
    if (typeof value === "string" || typeof value === "boolean" || value === null) return JSON.stringify(value);
    if (typeof value === "number" && Number.isFinite(value)) return Object.is(value, -0) ? "0" : JSON.stringify(value);
    return undefined;
  }

  /** `x` not among `values`: inline comparisons for a few JSON primitives, a set passed in otherwise. */
  private notAmong(values: readonly unknown[], x: string): string {
    const literals = values.map((value) => this.literal(value));
    if (values.length > 0 && values.length <= 8 && literals.every((literal) => literal !== undefined)) {
      return literals.map((literal) => `${x} !== ${literal}`).join(" && ");
    }
    return `!${this.constant(new Set<unknown>(values))}.has(${x})`;
  }

  /**
   * `x` does not match `pattern`. The last string it matched is remembered: the platform, and the received time
   * every envelope of a batch shares, are the same string again and again. Exact: `test` of a regex that is
   * neither global nor sticky depends on the string only (checked by `regexOf`). A pattern with a registered
   * exact test (`exact-tests.ts`) is answered by that test.
   */
  private notMatching(pattern: RegExp, x: string): string {
    const memo = `m${this.memos.length}`;
    this.memos.push(memo);
    const exact = exactTestOf(pattern);
    const test = exact === undefined ? `${this.constant(pattern)}.test(${x})` : `${this.constant(exact)}(${x})`;
    return `(${x} !== ${memo} && !(${test} && (${memo} = ${x}, true)))`;
  }

  private bound(value: number): string {
    return this.literal(value) ?? this.constant(value);
  }

  private stringTest(check: CheckDef, x: string): string {
    switch (check.check) {
      case "min_length":
        if (typeof check.minimum !== "number") throw new Unsupported("min_length");
        return `${x}.length < ${this.bound(check.minimum)}`;
      case "max_length":
        if (typeof check.maximum !== "number") throw new Unsupported("max_length");
        return `${x}.length > ${this.bound(check.maximum)}`;
      case "string_format":
        if (check.format !== "regex" && check.format !== "datetime")
          throw new Unsupported(`format ${String(check.format)}`);
        return this.notMatching(regexOf(check), x);
      default:
        throw new Unsupported(`string check ${check.check}`);
    }
  }

  private numberTest(check: CheckDef, x: string): string {
    switch (check.check) {
      case "number_format":
        if (check.format !== "safeint") throw new Unsupported(`number format ${String(check.format)}`);
        return `!Number.isSafeInteger(${x})`;
      case "greater_than":
        if (typeof check.value !== "number") throw new Unsupported("greater_than");
        return `${x} ${check.inclusive === true ? "<" : "<="} ${this.bound(check.value)}`;
      case "less_than":
        if (typeof check.value !== "number") throw new Unsupported("less_than");
        return `${x} ${check.inclusive === true ? ">" : ">="} ${this.bound(check.value)}`;
      default:
        throw new Unsupported(`number check ${check.check}`);
    }
  }

  /** The checks of `schema` on the value in variable `x`. */
  private emit(schema: unknown, x: string): Emitted {
    const def = defOf(schema);
    const reject = (tests: readonly string[]): Emitted => ({ code: `if (${tests.join(" || ")}) return R;\n`, out: x });
    switch (def.type) {
      case "string": {
        const tests = [`typeof ${x} !== "string"`];
        if (def["check"] !== undefined) tests.push(this.stringTest(def as unknown as CheckDef, x));
        for (const check of checksOf(def)) tests.push(this.stringTest(check, x));
        return reject(tests);
      }
      case "number": {
        if (def["check"] !== undefined) throw new Unsupported("number schema with its own check");
        // zod 4 numbers reject NaN and ±Infinity
        return reject([
          `typeof ${x} !== "number"`,
          `!Number.isFinite(${x})`,
          ...checksOf(def).map((check) => this.numberTest(check, x)),
        ]);
      }
      case "boolean":
        noChecks(def);
        return reject([`typeof ${x} !== "boolean"`]);
      case "null":
        noChecks(def);
        return reject([`${x} !== null`]);
      case "literal": {
        noChecks(def);
        const values = def["values"];
        if (!Array.isArray(values) || values.includes(undefined)) throw new Unsupported("literal");
        return reject([`(${this.notAmong(values, x)})`]);
      }
      case "enum": {
        noChecks(def);
        const entries = def["entries"];
        if (!isPlainObject(entries)) throw new Unsupported("enum");
        return reject([`(${this.notAmong(Object.values(entries), x)})`]);
      }
      case "optional":
      case "nullable": {
        noChecks(def);
        const skip = def.type === "optional" ? "undefined" : "null";
        const inner = this.emit(def["innerType"], x);
        if (inner.out === x) return { code: `if (${x} !== ${skip}) {\n${inner.code}}\n`, out: x };
        const out = this.name("y");
        return { code: `let ${out} = ${x};\nif (${x} !== ${skip}) {\n${inner.code}${out} = ${inner.out};\n}\n`, out };
      }
      case "unknown":
        noChecks(def);
        return { code: "", out: x };
      case "catch": {
        // generated code only (the closures leave a catch to zod): a value the inner schema takes is its output, and
        // for any other, zod parses the value with the catch schema itself, so zod computes every caught value
        noChecks(def);
        const inner = this.helper(def["innerType"]);
        const caught = this.constant((value: unknown) => {
          const parsed = (schema as z.ZodType).safeParse(value);
          return parsed.success ? parsed.data : REJECTED;
        });
        const out = this.name("y");
        return {
          code: `let ${out} = ${inner}(${x});\nif (${out} === R) ${out} = ${caught}(${x});\nif (${out} === R) return R;\n`,
          out,
        };
      }
      case "object":
      case "array":
      case "union":
      case "record": {
        const helper = this.helper(schema);
        const out = this.name("y");
        return { code: `const ${out} = ${helper}(${x});\nif (${out} === R) return R;\n`, out };
      }
      default:
        throw new Unsupported(def.type);
    }
  }

  /** The name of a function `(v) => output | R` for `schema`, generated once per schema object. */
  private helper(schema: unknown): string {
    const known = this.helperOf.get(schema);
    if (known !== undefined) return known;
    const def = defOf(schema);
    // the name shows in a profile; only letters of zod's type name, which is checked below anyway
    const name = this.name(`convotic_${String(def.type).replace(/[^a-z]/g, "")}_`);
    this.helperOf.set(schema, name); // before the body: a schema that contains itself is refused by zod's lazy, never met here
    let body: string;
    switch (def.type) {
      case "object":
        body = this.objectBody(def);
        break;
      case "array": {
        noChecks(def);
        const element = this.emit(def["element"], "x");
        const copy = `const o = [];\nfor (let i = 0; i < n; i++) {\nconst x = v[i];\n${element.code}o.push(${element.out});\n}\nreturn o;\n`;
        body = `if (!isArray(v)) return R;\nconst n = v.length;\n${this.reuse ? this.arrayReuse(def) : ""}${copy}`;
        break;
      }
      case "union": {
        noChecks(def);
        const options = def["options"];
        if (!Array.isArray(options)) throw new Unsupported("union");
        const tries = options.map((option) => `y = ${this.helper(option)}(v);\nif (y !== R) return y;\n`);
        body = `let y;\n${tries.join("")}return R;\n`;
        break;
      }
      case "record": {
        noChecks(def);
        const keyDef = defOf(def["keyType"]);
        if (keyDef.type !== "string" || (keyDef.checks ?? []).length > 0 || keyDef["check"] !== undefined)
          throw new Unsupported("record key");
        const item = this.emit(def["valueType"], "x");
        // as the closures do: own keys, an own `__proto__` left to zod
        body =
          PLAIN_OBJECT_GUARD +
          `const o = {};\nfor (const k of Object.keys(v)) {\nif (k === "__proto__") return R;\nconst x = v[k];\n${item.code}o[k] = ${item.out};\n}\nreturn o;\n`;
        break;
      }
      default: {
        const emitted = this.emit(schema, "v");
        body = `${emitted.code}return ${emitted.out};\n`;
      }
    }
    this.helpers.push(`function ${name}(v) {\n${body}}`);
    return name;
  }

  /**
   * A reusing parser's first pass over an array: the array itself when a copy would be indistinguishable from it,
   * which is zod's fresh array (`Array.prototype`, an own element at every index) holding the same elements. A hole
   * is the one element that reads `undefined` and is not own; JSON.parse never makes one, nor an array of another
   * prototype, and either sends it to the copy below. The prototype is read right after `length`, whose map check
   * lets TurboFan fold it (see `probedGuard`). At the first element whose parser returns another value, the copy
   * starts again from the first element: each value it holds is one the parser checked, read once for the copy.
   */
  private arrayReuse(def: Def): string {
    const element = this.emit(def["element"], "x");
    const differs = element.out === "x" ? "" : `if (${element.out} !== x) break;\n`;
    return `if (getPrototypeOf(v) === AP) {\nlet i = 0;\nfor (; i < n; i++) {\nconst x = v[i];\nif (x === undefined && !hasOwn(v, i)) break;\n${element.code}${differs}}\nif (i === n) return v;\n}\n`;
  }

  /**
   * Strict objects, and loose ones whose other keys may hold anything, with zod's semantics (zod 4's own
   * generated object parser): a shape key is present when `key in value`; the others are the `for…in` keys,
   * which a strict object must not have and a loose one copies after the shape's keys in the order they came.
   * An optional key counts as present when the `for…in` scan meets it, which is `key in value` for every object
   * these parsers take (the prototype is `Object.prototype` or null, and a key `Object.prototype` has is refused
   * above) but one with an own non-enumerable property, which only a property descriptor makes (never
   * `JSON.parse` or a literal).
   */
  private objectBody(def: Def): string {
    const { loose, shape } = objectKind(def);
    const keys = Object.keys(shape);
    for (const key of keys) {
      // a key the prototype has (`toString`) is `in` every object, `__proto__` is special to zod, an integer-like
      // key is enumerated out of insertion order: none is in our schemas, and such a schema is left to zod
      if (key in Object.prototype || key === "__proto__" || INTEGER_LIKE.test(key))
        throw new Unsupported(`object key ${key}`);
    }
    const reuse = this.reuse;
    let code = keys.length === 0 ? PLAIN_OBJECT_GUARD : probedGuard(keys[0]!);
    // one pass over the value's keys: a strict object has none but the shape's; `order` tells whether they came in
    // the shape's order (then a loose object's others, after all of them), which is what a reused input needs;
    // an optional key's presence is noted as the scan meets it (`h<index>`), so an absent one costs neither a read
    // nor an `in` check: on an object whose shape varies (content of many kinds), each of those was a lookup
    const optionalAt = keys.map((key) => defOf(shape[key]).type === "optional");
    const cases = keys.map(
      (key, index) =>
        `case ${quoted(key)}:${optionalAt[index] === true ? ` h${index} = true;` : ""}${reuse ? ` if (${index} <= last${loose ? " || extra" : ""}) order = false; last = ${index};` : ""} break;`,
    );
    const flags = keys.flatMap((_, index) => (optionalAt[index] === true ? [`h${index} = false`] : []));
    if (flags.length > 0) code += `let ${flags.join(", ")};\n`;
    const other = loose ? `if (k === "__proto__") return R;\nextra = true;` : "return R;";
    if (reuse) code += `let order = true;\nlet last = -1;\n`;
    if (loose) code += `let extra = false;\n`;
    code += `for (const k in v) {\nswitch (k) {\n${cases.join("\n")}\ndefault:\n${other}\n}\n}\n`;
    if (reuse) code += `let same = true;\n`;
    const fields = keys.map((key, index) => {
      const field = shape[key];
      const optional = optionalAt[index] === true;
      const x = `x${index}`;
      const k = quoted(key);
      if (!optional) {
        // a required key given as undefined is left to zod (a schema that takes undefined there is not one of ours)
        const emitted = this.emit(field, x);
        let fieldCode = `const ${x} = ${index === 0 ? "probe" : `v[${k}]`};\nif (${x} === undefined) return R;\n${emitted.code}`;
        if (reuse && emitted.out !== x) fieldCode += `if (${emitted.out} !== ${x}) same = false;\n`;
        return { key, optional, code: fieldCode, out: emitted.out, present: "true" };
      }
      const inner = this.emit(defOf(field)["innerType"], x);
      const present = `h${index}`;
      const out = inner.out === x ? x : this.name("y");
      let fieldCode = `const ${x} = ${present} ? ${index === 0 ? "probe" : `v[${k}]`} : undefined;\n`;
      if (out !== x) fieldCode += `let ${out} = ${x};\n`;
      fieldCode += `if (${x} !== undefined) {\n${inner.code}`;
      if (out !== x) fieldCode += `${out} = ${inner.out};\n${reuse ? `if (${out} !== ${x}) same = false;\n` : ""}`;
      fieldCode += `}\n`;
      return { key, optional, code: fieldCode, out, present };
    });
    code += fields.map((field) => field.code).join("");
    if (reuse) code += `if (order && same && p === OP) return v;\n`;
    // zod's output: the shape's keys in its order, present ones only; one literal when the keys are always the
    // same, and objects of a constructor when they vary (see `plainConstructor`)
    const varies = loose || fields.some((field) => field.optional);
    code += varies
      ? `const o = new ${this.constant(plainConstructor())}();\n`
      : `const o = {${fields.map((field) => `${quoted(field.key)}: ${field.out}`).join(", ")}};\n`;
    for (const field of varies ? fields : []) {
      code += field.optional
        ? `if (${field.present}) o[${quoted(field.key)}] = ${field.out};\n`
        : `o[${quoted(field.key)}] = ${field.out};\n`;
    }
    if (loose) {
      const skip =
        keys.length === 0
          ? ""
          : `switch (k) {\n${keys.map((key) => `case ${quoted(key)}:`).join("\n")}\ncontinue;\n}\n`;
      code += `if (extra) {\nfor (const k in v) {\n${skip}o[k] = v[k];\n}\n}\n`;
    }
    return `${code}return o;\n`;
  }
}

export function generate(schema: unknown, reuse: boolean): CompiledParse {
  return new Generator(reuse).build(schema);
}
