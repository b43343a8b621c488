import { ConvoticError } from "../core";

/** A task outlived its deadline: the event counts as failed (500, so the platform redelivers). */
export class DeadlineError extends ConvoticError {
  override readonly name = "DeadlineError";
  constructor(
    readonly label: string,
    readonly deadlineMs: number,
  ) {
    super("deadline_exceeded", 500, `${label} did not finish within its deadline of ${deadlineMs} ms`);
  }
}

/** How a task that lost the race against its deadline ended, reported when it finally settles. */
export interface LateSettlement {
  readonly label: string;
  readonly outcome: "fulfilled" | "rejected";
  readonly error?: unknown;
  /** from the start of the deadline to the settlement */
  readonly elapsedMs: number;
}

/**
 * One running deadline: an `AbortSignal` that fires when it passes (its timer is unref'd, so it never keeps a
 * process alive) and `race`, which stops waiting for a promise at that moment. A promise that loses the race is
 * not forgotten: `onLate` hears how it ended. Call `clear()` when done; `run` does it for you.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    readonly ms: number,
    private readonly onLate: (late: LateSettlement) => void = () => undefined,
  ) {
    this.signal = this.controller.signal;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineError("the delivery", ms)), ms);
    this.timer.unref();
  }

  get expired(): boolean {
    return this.signal.aborted;
  }

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** Resolves or rejects with `promise`, or rejects with a `DeadlineError` naming `label` once the deadline passes. */
  race<T>(promise: Promise<T>, label: string): Promise<T> {
    if (this.signal.aborted) {
      this.watchLate(promise, label);
      return Promise.reject(new DeadlineError(label, this.ms));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        this.watchLate(promise, label);
        reject(new DeadlineError(label, this.ms));
      };
      this.signal.addEventListener("abort", onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private watchLate(promise: Promise<unknown>, label: string): void {
    promise.then(
      () => this.onLate({ label, outcome: "fulfilled", elapsedMs: this.elapsedMs() }),
      (error: unknown) => this.onLate({ label, outcome: "rejected", error, elapsedMs: this.elapsedMs() }),
    );
  }
}

/**
 * Runs `task` with a deadline: its result if it settles in time, a `DeadlineError` otherwise (the task sees its
 * `signal` abort and should stop; whatever it does later goes to `onLate`). The timer is always cleared.
 */
export async function withDeadline<T>(
  task: (signal: AbortSignal) => Promise<T>,
  ms: number,
  options: { label?: string; onLate?: (late: LateSettlement) => void } = {},
): Promise<T> {
  const deadline = new Deadline(ms, options.onLate);
  try {
    return await deadline.race(Promise.resolve().then(() => task(deadline.signal)), options.label ?? "the task");
  } finally {
    deadline.clear();
  }
}
