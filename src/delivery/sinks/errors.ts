import { ConvoticError, messageOf } from "../../core";

/**
 * A sink cannot take a batch now (closed, queue full, file not writable). 503: the platform should redeliver
 * later, which is the whole point of refusing instead of dropping.
 */
export class SinkUnavailableError extends ConvoticError {
  override readonly name = "SinkUnavailableError";
  constructor(sink: string, message: string, options: { cause?: unknown } = {}) {
    super(`sink ${sink}: ${message}`, { code: "sink_unavailable", status: 503, cause: options.cause });
  }
}

/** The reader is not keeping up: the sink refuses more until it drains; the platform retries later (503). */
export class SinkBackpressureError extends ConvoticError {
  override readonly name = "SinkBackpressureError";
  constructor(sink: string, buffered: number, limit: number) {
    super(`sink ${sink} holds ${buffered} unwritten bytes (limit ${limit}): its reader is not reading`, {
      code: "sink_backpressure",
      status: 503,
    });
  }
}

/** The stream is gone (EPIPE: the reader exited): nothing more can be written. */
export class SinkClosedError extends ConvoticError {
  override readonly name = "SinkClosedError";
  constructor(sink: string, cause: unknown) {
    super(`sink ${sink} cannot write any more: ${messageOf(cause)}`, { code: "sink_closed", status: 500, cause });
  }
}
