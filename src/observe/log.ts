import { AsyncLocalStorage } from "node:async_hooks";
import { Writable } from "node:stream";
import pino from "pino";
import type { LogFields, Logger } from "../http";
import { formatLogLine } from "../http/logger";

/** The request a log record belongs to, set by `observeHandler` around each request (background work included). */
export const requestScope = new AsyncLocalStorage<{ readonly requestId: string }>();

export type LogFormat = "json" | "text";
export type LogThreshold = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogThreshold[] = ["debug", "info", "warn", "error"];

/** The edge reports `blocks: [id]` and `ms`; records name one `block` and a `duration_ms`. */
function recordFields(fields: LogFields = {}): Record<string, unknown> {
  const { blocks, ms, ...rest } = fields;
  const named: Record<string, unknown> = { ...rest };
  if (Array.isArray(blocks) && blocks.length === 1) named["block"] = blocks[0];
  else if (blocks !== undefined) named["blocks"] = blocks;
  if (ms !== undefined) named["duration_ms"] = ms;
  return named;
}

/** pino's JSON lines, re-written as the edge's logfmt-style text lines for people reading a terminal. */
function textStream(out: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split("\n")) {
        if (text === "") continue;
        const { level, time, msg, ...fields } = JSON.parse(text) as { level: string; time: string; msg: string } & Record<string, never>;
        out.write(formatLogLine(level, msg, fields).replace(/^\S+/, time) + "\n");
      }
      done();
    },
  });
}

/**
 * A `Logger` on pino: one JSON object per line (level, time, msg, request_id, then the record's fields), or the
 * same records as text; records below `level` (default `info`) are dropped. The edge passes metadata only (never bodies, headers, signatures or secrets), and pino's
 * redaction drops the secret-bearing keys should one ever be passed by mistake.
 */
export function createLogger(options: { format: LogFormat; stream: Writable; level?: LogThreshold }): Logger {
  const destination = options.format === "json" ? options.stream : textStream(options.stream);
  const log = pino(
    {
      level: options.level ?? "info",
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const scope = requestScope.getStore();
        return scope === undefined ? {} : { request_id: scope.requestId };
      },
      redact: { paths: ["secrets", "secret", "token", "signature", "headers", "body", "*.secrets", "*.secret_token"], remove: true },
    },
    destination,
  );
  return {
    debug: (message, fields) => {
      if (log.isLevelEnabled("debug")) log.debug(recordFields(fields), message);
    },
    info: (message, fields) => log.info(recordFields(fields), message),
    warn: (message, fields) => log.warn(recordFields(fields), message),
    error: (message, fields) => log.error(recordFields(fields), message),
  };
}
