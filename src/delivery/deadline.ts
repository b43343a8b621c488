import { ConvoticError } from "../core";

/** A task outlived its deadline: the event counts as failed (500, so the platform redelivers). */
export class DeadlineError extends ConvoticError {
  override readonly name = "DeadlineError";
  constructor(
    readonly label: string,
    readonly deadlineMs: number,
  ) {
    super(`${label} did not finish within its deadline of ${deadlineMs} ms`, {
      code: "deadline_exceeded",
      status: 500,
    });
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
 *
 * The signal is made on first use: most deliveries never read it (the stdout and file sinks do not), and an
 * `AbortController` per request was a measurable share of `serve`'s CPU. `race` waits on the timer directly.
 */
export class Deadline {
  private controller: AbortController | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();
  private passed = false;
  /** the rejections `race` is holding until the deadline passes */
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly ms: number,
    private readonly onLate: (late: LateSettlement) => void = () => undefined,
  ) {
    this.timer = setTimeout(() => this.pass(), ms);
    this.timer.unref();
  }

  /** aborts (with a `DeadlineError`) when the deadline passes; already aborted when read after that */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.passed) this.controller.abort(this.reason());
    }
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.passed;
  }

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** Resolves or rejects with `promise`, or rejects with a `DeadlineError` naming `label` once the deadline passes. */
  race<T>(promise: Promise<T>, label: string): Promise<T> {
    if (this.passed) {
      this.watchLate(promise, label);
      return Promise.reject(new DeadlineError(label, this.ms));
    }
    return new Promise<T>((resolve, reject) => {
      const onPass = () => {
        this.watchLate(promise, label);
        reject(new DeadlineError(label, this.ms));
      };
      this.waiting.add(onPass);
      promise.then(
        (value) => {
          this.waiting.delete(onPass);
          resolve(value);
        },
        (error: unknown) => {
          this.waiting.delete(onPass);
          reject(error);
        },
      );
    });
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  private reason(): DeadlineError {
    return new DeadlineError("the delivery", this.ms);
  }

  private pass(): void {
    this.passed = true;
    this.controller?.abort(this.reason());
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const onPass of waiting) onPass();
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
    return await deadline.race(
      Promise.resolve().then(() => task(deadline.signal)),
      options.label ?? "the task",
    );
  } finally {
    deadline.clear();
  }
}
