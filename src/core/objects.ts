/** `{a: X | undefined}` as `{a?: X}`: the fields of `defined()`, typed for `exactOptionalPropertyTypes`. */
export type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * The fields whose value is not `undefined`, in their order: `{ ...defined({ text, title }) }` instead of
 * `...(text === undefined ? {} : { text }), ...(title === undefined ? {} : { title })`.
 */
export function defined<T extends object>(fields: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const value = (fields as Record<string, unknown>)[key];
    if (value !== undefined) setField(out, key, value);
  }
  return out as Defined<T>;
}

/**
 * `{ ...base, ...fields }`, built key by key. On Node 20 (V8 11.3) an object literal that starts with a spread
 * and then gets another key (`{ ...base, key }`, `{ ...a, ...b }`) is given a map of its own every time, outside
 * V8's transition tree: every later reader of such objects (the envelope parsers, `JSON.stringify`) goes
 * megamorphic, and each object costs a new map (about 0.9 µs, measured). Built here, objects with the same keys
 * in the same order share one map. Own enumerable string keys, as a spread copies them; an own `__proto__` stays
 * a data key.
 */
export function withFields<A extends object, B extends object>(base: A, fields: B): Omit<A, keyof B> & B {
  const out: Record<string, unknown> = {};
  copyFields(out, base);
  copyFields(out, fields);
  return out as Omit<A, keyof B> & B;
}

function copyFields(out: Record<string, unknown>, from: object): void {
  for (const key in from) {
    if (Object.hasOwn(from, key)) setField(out, key, (from as Record<string, unknown>)[key]);
  }
}

/** `out[key] = value`, except that an own `__proto__` stays a data key instead of setting the prototype. */
function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** A plain object (JSON's, or a literal): a Date, an array or a class instance is not. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Deeper than this, a raw value is cut: `JSON.stringify` and recursive consumers overflow the stack long before JSON.parse does. */
export const MAX_RAW_DEPTH = 64;
const CUT = `[cut: nested deeper than ${MAX_RAW_DEPTH} levels]`;

/**
 * A raw platform value safe to hand to consumers that serialise or walk it: returned as it is when it nests at
 * most `MAX_RAW_DEPTH` levels (every real payload), otherwise a copy whose deeper parts are replaced by a marker
 * string. Its size is already bounded by the request body limit. Walks iteratively, so any depth is safe here.
 */
export function boundedRaw(value: unknown): unknown {
  return depthExceeds(value, MAX_RAW_DEPTH) ? cut(value, MAX_RAW_DEPTH) : value;
}

function depthExceeds(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth >= limit) return true;
    for (const child of Object.values(value))
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return false;
}

/** A copy down to `levels` levels; own `__proto__` keys stay plain data (fromEntries defines, never assigns). */
function cut(value: unknown, levels: number): unknown {
  if (value === null || typeof value !== "object") return value;
  if (levels === 0) return CUT;
  if (Array.isArray(value)) return value.map((item) => cut(item, levels - 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cut(item, levels - 1)]));
}

/** A JSON string token, or an integer token of 16 or more digits (beyond what a double holds exactly). */
const STRING_OR_BIG_INTEGER = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g;

/**
 * `JSON.parse` that keeps integers of 16 or more digits exact, as strings (`4912661846655238145` stays
 * `"4912661846655238145"` instead of becoming 4912661846655238000). String tokens are matched whole, so digits
 * inside strings are never touched. For adapters whose platform sends int64 ids as JSON numbers.
 */
export function parseJsonKeepingBigIntegers(text: string): unknown {
  return JSON.parse(text.replace(STRING_OR_BIG_INTEGER, (token) => (token.startsWith('"') ? token : `"${token}"`)));
}
