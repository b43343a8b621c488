import { AsyncLocalStorage } from "node:async_hooks";
import type { Writable } from "node:stream";
import pino from "pino";
import type { LogFields, Logger } from "../http";
import { logTime } from "../core/logger";
import { escapeRawAfterJson, formatLine, namedFields, REDACTED_KEYS, REDACTED_NESTED_KEYS } from "../http/logger";

/**
 * The request a log record belongs to, for records made inside `requestScope.run(…)` whose fields name none.
 * `observeHandler` no longer sets it: the request id travels with the request (`HttpRequest.requestId`) and the
 * edge and the delivery put it in their records' fields, because on Node 20 an active AsyncLocalStorage adds a
 * promise hook to every promise of the process (a measurable share of `serve`'s CPU).
 */
export const requestScope = new AsyncLocalStorage<{ readonly requestId: string }>();

export type LogFormat = "json" | "text";
export type LogThreshold = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogThreshold[] = ["debug", "info", "warn", "error"];

// pino's `redact` paths for the keys text lines drop (http/logger.ts declares them, with the renaming rules)
const PINO_REDACT = [...REDACTED_KEYS, ...[...REDACTED_NESTED_KEYS].map((key) => `*.${key}`)];

/**
 * Lines handed to the stream together, once per turn of the event loop: one write (one system call when stderr is
 * a file or a pipe) for all the requests a turn answered, instead of one per request. A warning or an error goes
 * out at once, after what is pending before it, so nothing that explains a failure waits; `flush()` empties it.
 */
class LineBatch {
  private pending = "";
  private scheduled = false;

  constructor(
    private readonly out: Writable,
    private readonly maxPending = 64 * 1024,
  ) {}

  add(text: string, urgent: boolean): void {
    this.pending += text;
    if (urgent || this.pending.length >= this.maxPending) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  flush(): void {
    if (this.pending === "") return;
    const text = this.pending;
    this.pending = "";
    this.out.write(text);
  }

  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flush();
  };
}

const RANK: Readonly<Record<LogThreshold, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A `Logger` that can also write out what it holds (before the process exits). */
export interface FlushableLogger extends Logger {
  debug(message: string, fields?: LogFields): void;
  flush(): void;
}

/**
 * A `Logger` for serve: one JSON object per line through pino (level, time, msg, request_id, then the record's
 * fields), or the same records as `time level msg key=value` text lines written directly (no JSON round trip);
 * records below `level` (default `info`) are dropped. The edge passes metadata only (never bodies, headers,
 * signatures or secrets); the secret-bearing keys are dropped should one ever be passed by mistake (pino's
 * redaction for JSON, the same keys for text). Lines are written once per event-loop turn (warnings and errors at
 * once); call `flush()` before exiting.
 */
export function createLogger(options: { format: LogFormat; stream: Writable; level?: LogThreshold }): FlushableLogger {
  const threshold = RANK[options.level ?? "info"];
  const batch = new LineBatch(options.stream);
  const requestId = () => requestScope.getStore()?.requestId;
  let write: (level: LogThreshold, message: string, fields: LogFields | undefined) => void;
  if (options.format === "text") {
    // the request id travels in the fields; `requestScope` is the fallback for records made inside one
    write = (level, message, fields) =>
      batch.add(formatLine(logTime(), level, message, fields, true, requestId) + "\n", RANK[level] >= RANK.warn);
  } else {
    let urgent = false;
    // JSON.stringify leaves U+2028, U+2029 and the C1 controls (U+0085 among them) raw, and some log tools take
    // them as line breaks: a client's 404 path or content type could start a forged line. Inside a JSON string
    // (the only place they can be) `\uXXXX` is the same text.
    const destination = {
      write: (text: string) => batch.add(escapeRawAfterJson(text), urgent),
    };
    const log = pino(
      {
        level: options.level ?? "info",
        base: null,
        messageKey: "msg",
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: (fields: object) => {
          const id = "request_id" in fields ? undefined : requestId();
          return id === undefined ? {} : { request_id: id };
        },
        redact: { paths: PINO_REDACT, remove: true },
      },
      destination,
    );
    write = (level, message, fields) => {
      urgent = RANK[level] >= RANK.warn;
      log[level](namedFields(fields, false), message);
    };
  }
  const at = (level: LogThreshold) => (message: string, fields?: LogFields) => {
    if (RANK[level] >= threshold) write(level, message, fields);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), flush: () => batch.flush() };
}
