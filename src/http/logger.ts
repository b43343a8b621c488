import type { Writable } from "node:stream";

/**
 * Where the HTTP edge reports what it did. Fields are metadata only (method, route, status, error code, counts,
 * timings): the edge never passes bodies, headers, query strings, signatures or secrets to a logger.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function format(level: string, message: string, fields: LogFields = {}): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(",") : String(value)}`);
  return [new Date().toISOString(), level, message, ...parts].join(" ");
}

/** One line per record on a stream (stderr for `convotic serve`). */
export function streamLogger(stream: Writable): Logger {
  return {
    info: (message, fields) => void stream.write(format("info", message, fields) + "\n"),
    warn: (message, fields) => void stream.write(format("warn", message, fields) + "\n"),
    error: (message, fields) => void stream.write(format("error", message, fields) + "\n"),
  };
}

/** The library default: warnings and errors to stderr, nothing per request. */
export const defaultLogger: Logger = {
  info: () => undefined,
  warn: (message, fields) => void process.stderr.write(format("warn", message, fields) + "\n"),
  error: (message, fields) => void process.stderr.write(format("error", message, fields) + "\n"),
};
