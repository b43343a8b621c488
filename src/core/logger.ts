import { clockIso } from "./engine/time";

/**
 * Where the edge and the delivery step report what they did. Fields are metadata only (method, route, status,
 * error code, counts, timings): never bodies, headers, query strings, signatures or secrets.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface Logger {
  /** detail off by default (duplicates acknowledged without running); absent means dropped */
  debug?(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * The time a log record is stamped with (`new Date().toISOString()`'s text), from the engine room's time caches: a
 * plain value, not a re-export, so a call is one fast load (see adapter-kit.ts).
 */
export const logTime: () => string = clockIso;
