/**
 * How many body bytes all requests together may hold while they are being read and handled. Without it, 400
 * unfinished 1 MiB uploads hold 400 MiB; with it, a request that would exceed the budget is refused with a 503
 * and `Retry-After` (the platforms retry), and memory stays bounded whatever the concurrency.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** bytes held right now */
  get inFlight(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
