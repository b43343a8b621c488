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

  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
