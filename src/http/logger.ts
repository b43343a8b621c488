import type { Writable } from "node:stream";
import type { LogFields, Logger } from "../core";
import { logTime } from "../core/logger";

export type { LogFields, Logger };

/*
 * Characters some log tools take as line breaks although JSON.stringify leaves them raw: the C1 controls (U+0085
 * NEXT LINE among them) and U+2028/U+2029 (LINE and PARAGRAPH SEPARATOR).
 */
const RAW_AFTER_JSON = /[\u0080-\u009f\u2028\u2029]/;
const RAW_AFTER_JSON_ALL = /[\u0080-\u009f\u2028\u2029]/g;
const escapeChar = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** JSON text with those characters written as `\uXXXX`: inside a JSON string (the only place they can be) the same text. */
export function escapeRawAfterJson(text: string): string {
  return RAW_AFTER_JSON.test(text) ? text.replace(RAW_AFTER_JSON_ALL, escapeChar) : text;
}

const PLAIN = /^[^\s"\\=\x00-\x1f\x7f-\x9f\u2028\u2029]*$/;

/** logfmt-style: a value with spaces, quotes or control characters is JSON-quoted, so no client input can forge a line. */
export function formatValue(value: string | number | boolean | readonly string[]): string {
  // a number's text (digits, `.`, `-`, `e+`, NaN, Infinity) never needs quoting
  if (typeof value === "number") return String(value);
  const text = Array.isArray(value) ? value.join(",") : String(value);
  if (PLAIN.test(text)) return text;
  return escapeRawAfterJson(JSON.stringify(text));
}

/*
 * The rules of a record, declared once for every logger (the library's default, `serve`'s text and JSON lines):
 * the edge reports `blocks: [id]` and `ms`; a record names one `block` and a `duration_ms`, so one log query reads
 * them all. With `redact` (serve), the secret-bearing keys are dropped at the top level and one level down; the
 * edge never passes them, this guards against a mistake. The JSON logger hands these keys to pino's `redact`.
 */
export const REDACTED_KEYS: ReadonlySet<string> = new Set([
  "secrets",
  "secret",
  "token",
  "signature",
  "headers",
  "body",
]);
export const REDACTED_NESTED_KEYS: ReadonlySet<string> = new Set(["secrets", "secret_token"]);

/** The name a field is written under; `undefined` when it writes nothing (and so overrides nothing either). */
function nameOf(key: string, value: unknown, redact: boolean): string | undefined {
  if (key === "blocks") {
    if (value === undefined) return undefined;
    return Array.isArray(value) && value.length === 1 ? "block" : "blocks";
  }
  if (key === "ms") return value === undefined ? undefined : "duration_ms";
  return redact && REDACTED_KEYS.has(key) ? undefined : key;
}

/** The value a field is written with, once `nameOf` gave it a name. */
function valueOf(key: string, value: unknown, redact: boolean): unknown {
  if (key === "blocks") return Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!redact || key === "ms" || typeof value !== "object" || value === null || Array.isArray(value)) return value;
  // a nested object without its secret-bearing keys (a copy: the caller's object is left alone)
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.some(([nested]) => REDACTED_NESTED_KEYS.has(nested))) return value;
  return Object.fromEntries(entries.filter(([nested]) => !REDACTED_NESTED_KEYS.has(nested)));
}

/** A record as an object (for pino): each field under its name; a later field of the same name wins. */
export function namedFields(fields: LogFields | undefined, redact: boolean): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    const name = nameOf(key, value, redact);
    if (name !== undefined) named[name] = valueOf(key, value, redact);
  }
  return named;
}

/**
 * The value a renamed field ends with when the record also has a field of that name (`block` and `blocks: [id]`):
 * the last one written, as an object assigned field by field would hold. Only such records pay for this second look.
 */
function lastValue(fields: LogFields, name: string, redact: boolean): unknown {
  let last: unknown;
  for (const key in fields) {
    const value = fields[key];
    if (nameOf(key, value, redact) === name) last = valueOf(key, value, redact);
  }
  return last;
}

/**
 * One text line (without its newline) in one pass over the fields, with no intermediate object: time, level,
 * message, then `key=value` for every field with a defined value, under the names and redaction above, in the
 * order an object assigned field by field would list them. A record with no `request_id` field of its own takes
 * `scopeId` (the request scope's id, when there is one) first.
 */
export function formatLine(
  time: string,
  level: string,
  message: string,
  fields: LogFields | undefined,
  redact: boolean,
  scopeId?: () => string | undefined,
): string {
  let text = `${time} ${level} ${message}`;
  let ownId = false;
  // a field renamed onto a name the record also has: written once, where the first of them was, with the last value
  const clash =
    fields !== undefined && (("block" in fields && "blocks" in fields) || ("duration_ms" in fields && "ms" in fields));
  let written: string[] | undefined;
  // an object lists integer-like keys first, before one put first: the scope's id goes after those fields
  let scopePlace = text.length;
  for (const key in fields) {
    const given = fields[key];
    const name = nameOf(key, given, redact);
    if (name === undefined) continue;
    if (name === "request_id") ownId = true;
    // the usual field (a name of its own, a plain value): written as it is, `key` being known to be a string
    const plain = typeof given !== "object" || given === null || Array.isArray(given) || !redact;
    if (name === key && plain && !(clash && (key === "block" || key === "duration_ms"))) {
      if (given !== undefined) text += ` ${key}=${formatValue(given as string | number | boolean | readonly string[])}`;
    } else {
      let value: unknown;
      if (clash && (name === "block" || name === "duration_ms")) {
        if (written?.includes(name)) continue;
        (written ??= []).push(name);
        value = lastValue(fields!, name, redact);
      } else value = valueOf(key, given, redact);
      // the renamed fields' labels written out: a lookup by name went megamorphic
      const label = name === "block" ? " block=" : name === "duration_ms" ? " duration_ms=" : ` ${name}=`;
      if (value !== undefined) text += label + formatValue(value as string);
    }
    // (request_id usually comes first: then no place for the scope's id is needed)
    if (!ownId && isIndexKey(key)) scopePlace = text.length;
  }
  const id = ownId ? undefined : scopeId?.();
  if (id === undefined) return text;
  return `${text.slice(0, scopePlace)} request_id=${formatValue(id)}${text.slice(scopePlace)}`;
}

/** Whether a property key is an array index, which objects list before their other keys. */
function isIndexKey(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57) return false;
  const index = Number(key);
  return String(index) === key && index < 4294967295;
}

export function formatLogLine(level: string, message: string, fields?: LogFields): string {
  return formatLine(logTime(), level, message, fields, false);
}

/** One line per record on a stream (stderr for `convotic serve`). */
export function streamLogger(stream: Writable): Logger {
  return {
    debug: () => undefined,
    info: (message, fields) => void stream.write(formatLogLine("info", message, fields) + "\n"),
    warn: (message, fields) => void stream.write(formatLogLine("warn", message, fields) + "\n"),
    error: (message, fields) => void stream.write(formatLogLine("error", message, fields) + "\n"),
  };
}

/** The library default: warnings and errors through `console` (any runtime), nothing per request. */
export const defaultLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => console.warn(formatLogLine("warn", message, fields)),
  error: (message, fields) => console.error(formatLogLine("error", message, fields)),
};
