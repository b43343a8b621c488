import { ConvoticError } from "../../core";

/**
 * A sink cannot take a batch now (closed, queue full, file not writable). 503: the platform should redeliver
 * later, which is the whole point of refusing instead of dropping.
 */
export class SinkUnavailableError extends ConvoticError {
  override readonly name = "SinkUnavailableError";
  constructor(sink: string, message: string, options: { cause?: unknown } = {}) {
    super("sink_unavailable", 503, `sink ${sink}: ${message}`, options);
  }
}
