import type { Logger } from "../core";

/** How often a dependency that stays down is logged again (with the count of what it failed meanwhile). */
export const DEFAULT_HEALTH_LOG_INTERVAL_MS = 10_000;

/**
 * Errors (and the delivery failures made from them) that a `DependencyHealth` already reports: the delivery and the
 * edge log them below warn, so an outage costs one line per interval instead of two per request.
 */
const reported = new WeakSet<object>();

export function markReported<T extends object>(error: T): T {
  reported.add(error);
  return error;
}

export function isReported(value: unknown): boolean {
  return typeof value === "object" && value !== null && reported.has(value);
}

/** The last known state of a dependency, for `/readyz` and for tests. */
export interface HealthState {
  /** what is wrong, in words ("stream X has no leader"); undefined while it answers */
  readonly problem: string | undefined;
  /** when the current outage began (ms since the epoch) */
  readonly since: number | undefined;
  /** failed operations since the outage began */
  readonly failures: number;
}

/**
 * The health of one dependency (a NATS stream, a Redis server) as its sink or store sees it. `failed` counts an
 * operation that failed for `problem`; the first failure of an outage is logged at once, later ones at most once
 * per interval with their count; `recovered` logs the end of the outage with its length and total count.
 */
export class DependencyHealth {
  private problem: string | undefined;
  private since: number | undefined;
  private failures = 0;
  private unlogged = 0;
  private loggedAt = 0;
  private logger: Logger | undefined;

  constructor(
    readonly dependency: string,
    private readonly intervalMs = DEFAULT_HEALTH_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Where the lines go (serve's logger); before this they are only counted. */
  attach(logger: Logger): void {
    this.logger = logger;
  }

  get state(): HealthState {
    return { problem: this.problem, since: this.since, failures: this.failures };
  }

  get down(): boolean {
    return this.problem !== undefined;
  }

  failed(problem: string): void {
    const now = this.now();
    const first = this.problem === undefined;
    if (first) this.since = now;
    this.problem = problem;
    this.failures += 1;
    this.unlogged += 1;
    if (!first && now - this.loggedAt < this.intervalMs) return;
    this.loggedAt = now;
    this.logger?.warn(`${this.dependency}: ${problem}`, {
      dependency: this.dependency,
      failed: this.unlogged,
      failed_total: this.failures,
      down_ms: now - (this.since ?? now),
    });
    this.unlogged = 0;
  }

  recovered(): void {
    if (this.problem === undefined) return;
    const now = this.now();
    this.logger?.info(`${this.dependency}: answers again`, {
      dependency: this.dependency,
      was: this.problem,
      down_ms: now - (this.since ?? now),
      failed_total: this.failures,
    });
    this.problem = undefined;
    this.since = undefined;
    this.failures = 0;
    this.unlogged = 0;
    this.loggedAt = 0;
  }
}
