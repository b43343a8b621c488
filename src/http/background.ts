/**
 * Work started after the answer went out (`ack: "immediate"`). A timer turn keeps even the synchronous part of a
 * task after the response; `drain()` resolves once nothing is pending.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  run(task: () => Promise<void>, onFailure: (error: unknown) => void): void {
    const run = new Promise<void>((done) => setTimeout(done, 0))
      .then(task)
      .then(
        () => undefined,
        (error: unknown) => {
          try {
            onFailure(error);
          } catch {
            // a throwing failure callback must not become an unhandled rejection
          }
        },
      )
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  /** Waits until nothing is pending, or `signal` aborts; resolves with the number of tasks still running. */
  async drain(signal?: AbortSignal): Promise<number> {
    while (this.pending.size > 0) {
      if (signal?.aborted === true) return this.pending.size;
      let onAbort = () => undefined as void;
      const aborted = new Promise<void>((resolve) => (onAbort = resolve));
      signal?.addEventListener("abort", onAbort, { once: true });
      await Promise.race([Promise.allSettled([...this.pending]), aborted]);
      signal?.removeEventListener("abort", onAbort);
    }
    return 0;
  }
}
