import type { Writable } from "node:stream";
import type { LogFields, Logger } from "../core";

export type { LogFields, Logger };

/*
 * Characters some log tools take as line breaks although JSON.stringify leaves them raw: the C1 controls (U+0085
 * NEXT LINE among them) and U+2028/U+2029 (LINE and PARAGRAPH SEPARATOR).
 */
const RAW_AFTER_JSON = /[\u0080-\u009f\u2028\u2029]/g;
const PLAIN = /^[^\s"\\=\x00-\x1f\x7f-\x9f\u2028\u2029]*$/;

/** logfmt-style: a value with spaces, quotes or control characters is JSON-quoted, so no client input can forge a line. */
export function formatValue(value: string | number | boolean | readonly string[]): string {
  // a number's text (digits, `.`, `-`, `e+`, NaN, Infinity) never needs quoting
  if (typeof value === "number") return String(value);
  const text = Array.isArray(value) ? value.join(",") : String(value);
  if (PLAIN.test(text)) return text;
  return JSON.stringify(text).replace(
    RAW_AFTER_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * The edge reports `blocks: [id]` and `ms`; a record names one `block` and a `duration_ms`, in the library's
 * default logger as in `serve`'s (observe/log.ts), so one log query reads both.
 */
export function namedFields(fields: LogFields = {}): Record<string, unknown> {
  if (!("ms" in fields) && !("blocks" in fields)) return fields;
  const named: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (key === "blocks" && Array.isArray(value) && value.length === 1) named["block"] = value[0];
    else if (key === "ms") named["duration_ms"] = value;
    else named[key] = value;
  }
  return named;
}

export function formatLogLine(level: string, message: string, fields: LogFields = {}): string {
  return formatRecord(new Date().toISOString(), level, message, namedFields(fields));
}

/** One text line (without its newline): time, level, message, then `key=value` for every defined field. */
export function formatRecord(
  time: string,
  level: string,
  message: string,
  fields: Readonly<Record<string, unknown>>,
): string {
  let text = `${time} ${level} ${message}`;
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) text += ` ${key}=${formatValue(value as string | number | boolean | readonly string[])}`;
  }
  return text;
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
