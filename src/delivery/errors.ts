import { ConvoticError, type ErrorCode, type LogLevel } from "../core";
import type { DeadlineError } from "./deadline";
import type { DeliveryOutcome } from "./delivery-types";
import { isReported } from "./dependency-health";

/**
 * A batch that was not wholly committed, as the edge answers it: 500 when an item failed (the platform
 * redelivers and only the failed items run again), 503 with `Retry-After` when an item could not run now (held by
 * another delivery, store unreachable, sink full). The platform is told the code and counts, never a handler's
 * own message; the log gets the first failure's message.
 */
export class DeliveryError extends ConvoticError {
  override readonly name = "DeliveryError";

  constructor(readonly outcome: DeliveryOutcome) {
    const first = outcome.failures.find((failure) => failure.status === outcome.status) ?? outcome.failures[0];
    const code = first?.code ?? "in_flight";
    super(DeliveryError.describe(outcome, code), { code, status: outcome.status });
  }

  private static describe(outcome: DeliveryOutcome, code: ErrorCode): string {
    const first = outcome.failures[0];
    const counts = `${outcome.failed} failed, ${outcome.in_flight} in flight elsewhere, ${outcome.handled + outcome.unhandled} handled, ${outcome.duplicates} duplicates`;
    return `${code}: ${counts}${first === undefined ? "" : `; first: ${first.type} ${first.id}: ${first.message}`}`;
  }

  override get publicMessage(): string {
    const counts = `${this.outcome.failed} failed, ${this.outcome.in_flight} in flight elsewhere`;
    return this.status === 503
      ? `some events cannot be processed now (${counts}); retry after ${this.outcome.retry_after_s ?? 1} s`
      : `some events were not processed (${counts}); answering 500 so the platform redelivers them (the others are not run again)`;
  }

  /**
   * A 503 whose every failure a sink or store already reports (one line per outage interval, with a count) is an
   * access-log line, not an error per request: an outage of a minute at 400 requests/s is a few lines, not 50,000.
   */
  override get logLevel(): LogLevel {
    if (this.status === 503 && this.outcome.failures.length > 0 && this.outcome.failures.every(isReported))
      return "info";
    return super.logLevel;
  }
}

/**
 * A sink that did not accept its batch before the deadline is a dependency too slow to answer now: 503 with
 * `Retry-After` (the platform retries), never a 500, whichever of the sink's own timeout and the deadline is first.
 */
export class SinkTimeoutError extends ConvoticError {
  override readonly name = "SinkTimeoutError";
  constructor(sink: string, deadline: DeadlineError) {
    super(`sink ${sink} did not accept its events within the deadline of ${deadline.deadlineMs} ms`, {
      code: "sink_unavailable",
      status: 503,
      cause: deadline,
    });
  }
}
