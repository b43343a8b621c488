import {
  ConvoticError,
  messageOf,
  type NormalizeResult,
  type Router,
  type UnhandledEvent,
  type UnifiedEvent,
} from "../core";
import { Claims } from "./claims";
import { Deadline, DeadlineError, type LateSettlement } from "./deadline";
import type {
  DeliveryInfo,
  DeliveryLogger,
  DeliveryObserver,
  DeliveryOptions,
  DeliveryOutcome,
  DeliveryStats,
  DeliveryStep,
  EventFailure,
} from "./delivery-types";
import { isReported } from "./dependency-health";
import { SinkTimeoutError } from "./errors";
import { MemoryStore } from "./memory-store";
import { DEFAULT_DEADLINE_MS, DEFAULT_TTL_MS, PlatformTable } from "./policy";
import type { Sink } from "./sink";
import { StatusOrder } from "./status-order";
import {
  failureOf,
  NEVER_ABORTED,
  noLogger,
  stageKey,
  tagOf,
  unhandledKey,
  verdictAtDeadline,
  type Item,
  type RunParts,
  type RunPlan,
} from "./run-items";
import { StoreUnavailableError, type IdempotencyStore } from "./store";

export type {
  Delivery,
  DeliveryInfo,
  DeliveryLogFields,
  DeliveryLogger,
  DeliveryObserver,
  DeliveryOptions,
  DeliveryOutcome,
  DeliveryReport,
  DeliveryStats,
  DeliveryStep,
  EventFailure,
  SinkFailureReport,
} from "./delivery-types";

export { unhandledKey };

/**
 * The step between normalising and answering. For each item of a batch: claim its id; a done one is skipped and
 * counted; one in flight elsewhere makes the answer 503; ours goes to the sinks, then to its router handlers,
 * within the platform's deadline, then is committed, or released on failure so the redelivery runs it again.
 * Each step is a method: `run` → `runMine` → `feed` (per sink) and the handlers → `outcome`.
 */
export class DeliveryRunner implements DeliveryStep {
  readonly store: IdempotencyStore | undefined;
  readonly policy: { readonly ttl: PlatformTable; readonly deadlines: PlatformTable };
  private readonly sinks: readonly Sink[];
  private readonly router: Router | undefined;
  private readonly logger: DeliveryLogger;
  private readonly observer: DeliveryObserver | undefined;
  private readonly claims: Claims;
  private readonly statusOrder: StatusOrder | undefined;
  private readonly totals: DeliveryStats = {
    handled: 0,
    unhandled: 0,
    duplicates: 0,
    in_flight: 0,
    failed: 0,
    timed_out: 0,
    late: 0,
  };

  constructor(options: DeliveryOptions = {}) {
    this.store = options.store === false ? undefined : (options.store ?? new MemoryStore());
    this.sinks = options.sinks ?? [];
    this.router = options.router;
    this.logger = options.logger ?? noLogger;
    this.observer = options.observer;
    this.policy = {
      ttl: new PlatformTable("idempotency ttl", DEFAULT_TTL_MS, options.ttl),
      deadlines: new PlatformTable("deadline", DEFAULT_DEADLINE_MS, options.deadlines),
    };
    this.claims = new Claims(this.store, this.logger);
    const order = options.statusOrder;
    this.statusOrder =
      order === undefined || order === false ? undefined : new StatusOrder(this.store, order === true ? {} : order);
    if (this.statusOrder !== undefined) this.totals.superseded = 0;
    // the step was a plain object of functions: `run` and `stats` still work detached from it
    this.run = this.run.bind(this);
    this.stats = this.stats.bind(this);
    const names = new Set<string>();
    for (const sink of this.sinks) {
      if (names.has(sink.name)) {
        throw new ConvoticError(`two sinks are named "${sink.name}"; sink names key their idempotency`, {
          code: "invalid_config",
          status: 500,
        });
      }
      names.add(sink.name);
    }
  }

  stats(): Readonly<DeliveryStats> & { readonly store: Readonly<Record<string, number | string>> | undefined } {
    return { ...this.totals, store: this.store?.stats() };
  }

  async run(result: NormalizeResult, info: DeliveryInfo): Promise<DeliveryOutcome> {
    const started = Date.now();
    const deadlineMs = this.policy.deadlines.for(info.platform);
    const ttlMs = this.policy.ttl.for(info.platform);
    // a crashed holder blocks an item for at most this long
    const leaseMs = 2 * deadlineMs + 5000;
    // an item repeated within the batch is acknowledged as a duplicate (Meta sometimes sends one mid twice)
    const items: Item[] = [];
    const done: Item[] = [];
    const seen = new Set<string>();
    const add = (item: Item) => {
      if (seen.has(item.key)) done.push(item);
      else {
        seen.add(item.key);
        items.push(item);
      }
    };
    for (const event of result.events) add({ key: event.id, type: event.type, event });
    for (const record of result.unhandled) add({ key: unhandledKey(record), type: `unhandled:${record.kind}`, record });
    const mine: Item[] = [];
    const held: Item[] = [];
    const broken: Item[] = [];
    const answered = this.claims.claim(
      items.map((item) => item.key),
      leaseMs,
    );
    (Array.isArray(answered) ? answered : await answered).forEach((claim, index) => {
      const item = items[index]!;
      if (claim instanceof StoreUnavailableError) {
        item.failure = failureOf(item, claim);
        broken.push(item);
      } else if (claim.state === "yours") {
        item.token = claim.token;
        mine.push(item);
      } else (claim.state === "done" ? done : held).push(item);
    });

    // statuses that would move their message backwards: acknowledged (committed) without running
    const superseded = this.statusOrder === undefined ? [] : await this.supersede(mine, broken, ttlMs);
    // nothing of ours to run (all duplicates, held or unreachable): no deadline timer to start
    if (mine.length > 0) await this.runMine(mine, { info, deadlineMs, leaseMs, ttlMs });
    const settling = this.claims.settle(
      // with statusOrder, superseded items commit and those the store could not order (a token, in broken) release
      (this.statusOrder === undefined
        ? mine
        : [...mine, ...superseded, ...broken.filter((item) => item.token !== undefined)]
      ).map((item) => ({ key: item.key, token: item.token!, ok: item.failure === undefined })),
      ttlMs,
      info,
    );
    if (settling !== undefined) await settling;
    return this.outcome({ info, started, deadlineMs, mine, done, held, broken, superseded });
  }

  /** Takes superseded statuses (and those the store could not order: failed, then released) out of `mine`. */
  private async supersede(mine: Item[], broken: Item[], ttlMs: number): Promise<Item[]> {
    const { keep, superseded, failed } = await this.statusOrder!.sift(mine, ttlMs);
    for (const [item, error] of failed) broken.push(Object.assign(item, { failure: failureOf(item, error) }));
    mine.splice(0, mine.length, ...keep);
    return superseded;
  }

  /** Sinks then handlers for the items this delivery claimed, all within one deadline. */
  private async runMine(mine: readonly Item[], plan: RunPlan): Promise<void> {
    const { info, deadlineMs } = plan;
    const deadline = new Deadline(deadlineMs, this.onLate(info));
    try {
      await Promise.all(this.sinks.map((sink) => this.feed(sink, mine, plan, deadline)));
      const router = this.router;
      for (const item of mine) {
        if (item.failure !== undefined || router === undefined) continue;
        try {
          const input = item.event ?? { events: [], unhandled: [item.record!] };
          if (deadline.expired) throw new DeadlineError(`handlers of ${item.key}`, deadlineMs);
          await deadline.race(router.dispatch(input), `handlers of ${item.key}`);
        } catch (error) {
          item.failure = failureOf(item, error);
        }
      }
    } finally {
      deadline.clear();
    }
  }

  /** One sink: claims its stage of each item, writes those it has not accepted before, commits or releases them. */
  private async feed(sink: Sink, items: readonly Item[], plan: RunPlan, deadline: Deadline): Promise<void> {
    const { leaseMs, ttlMs } = plan;
    const keys = items.map((item) => stageKey(item.key, sink));
    const answered = this.claims.claim(keys, leaseMs);
    const claims = Array.isArray(answered) ? answered : await answered;
    const taken: { item: Item; key: string; token: string }[] = [];
    const batch: { events: UnifiedEvent[]; unhandled: UnhandledEvent[] } = { events: [], unhandled: [] };
    claims.forEach((claim, index) => {
      const item = items[index]!;
      if (claim instanceof StoreUnavailableError) item.failure ??= failureOf(item, claim);
      else if (claim.state === "yours") {
        taken.push({ item, key: keys[index]!, token: claim.token });
        if (item.event !== undefined) batch.events.push(item.event);
        if (item.record !== undefined) batch.unhandled.push(item.record);
      } else if (claim.state === "in_flight") {
        item.failure ??= {
          id: item.key,
          type: item.type,
          code: "in_flight",
          status: 503,
          message: `sink ${sink.name} holds it in another delivery`,
        };
      }
    });
    if (taken.length === 0) return;
    let ok = true;
    const writing = sink.write(batch, sink.ignoresSignal === true ? NEVER_ABORTED : deadline.signal);
    try {
      await deadline.race(writing, `sink ${sink.name}`);
    } catch (raced) {
      ok = false;
      const error = raced instanceof DeadlineError ? await verdictAtDeadline(writing, raced) : raced;
      // a sink's own verdict (a full buffer: 503; a deadline) stands; anything else is a sink failure
      const cause =
        error instanceof DeadlineError
          ? new SinkTimeoutError(sink.name, error)
          : error instanceof ConvoticError && error.status === 503
            ? error
            : new ConvoticError(`sink ${sink.name} failed: ${messageOf(error)}`, {
                code: "sink_failed",
                status: 500,
                cause: error,
              });
      for (const { item } of taken) item.failure ??= failureOf(item, cause);
      this.observe(() =>
        this.observer?.sinkFailed?.({ info: plan.info, sink: sink.name, code: cause.code, items: taken.length }),
      );
    }
    const settling = this.claims.settle(
      taken.map(({ key, token }) => ({ key, token, ok })),
      ttlMs,
      plan.info,
    );
    if (settling !== undefined) await settling;
  }

  /** Counts, logs and reports what the run did, and decides the status the edge answers. */
  private outcome(parts: RunParts): DeliveryOutcome {
    const { info, mine, done, broken } = parts;
    const { totals, logger } = this;
    // one pass over what this run claimed: committed (events, then unhandled records), held elsewhere, or failed
    const committed: { events: UnifiedEvent[]; unhandled: UnhandledEvent[] } = { events: [], unhandled: [] };
    const failures: EventFailure[] = [];
    let held = parts.held.length;
    for (const item of mine) {
      const failure = item.failure;
      if (failure === undefined) {
        if (item.event !== undefined) committed.events.push(item.event);
        else if (item.record !== undefined) committed.unhandled.push(item.record);
      } else if (failure.code === "in_flight") held += 1;
      else failures.push(failure);
    }
    for (const item of broken) failures.push(item.failure!);
    const handled = committed.events.length;
    const unhandled = committed.unhandled.length;
    let timedOut = 0;
    for (const failure of failures) if (failure.code === "deadline_exceeded") timedOut += 1;
    totals.handled += handled;
    totals.unhandled += unhandled;
    totals.duplicates += done.length;
    if (totals.superseded !== undefined) totals.superseded += parts.superseded.length;
    totals.in_flight += held;
    totals.failed += failures.length;
    totals.timed_out += timedOut;
    if (done.length > 0) {
      logger.debug?.("duplicates acknowledged without running", {
        ...tagOf(info),
        count: done.length,
        ids: done.slice(0, 20).map((item) => item.key),
      });
    }
    if (parts.superseded.length > 0) {
      logger.debug?.("statuses superseded: acknowledged, not delivered (the message is further already)", {
        ...tagOf(info),
        count: parts.superseded.length,
        ids: parts.superseded.slice(0, 20).map((item) => `${item.key} ${item.type}`),
      });
    }
    for (const failure of failures) {
      const tag =
        info.requestId === undefined
          ? { platform: info.platform }
          : { request_id: info.requestId, platform: info.platform };
      const message = "event failed; its claim is released so the redelivery runs it again";
      if (isReported(failure)) logger.debug?.(message, { ...tag, ...failure });
      else logger.warn(message, { ...tag, ...failure });
    }
    // a handler or sink failure is ours to fix (500); an unreachable store or a claim held elsewhere is "later" (503)
    const status = failures.some((failure) => failure.status === 500) ? 500 : failures.length + held > 0 ? 503 : 200;
    const result: DeliveryOutcome = {
      status,
      ...(status === 503 ? { retry_after_s: Math.ceil(parts.deadlineMs / 1000) + 1 } : {}),
      handled,
      unhandled,
      duplicates: done.length,
      ...(this.statusOrder === undefined ? {} : { superseded: parts.superseded.length }),
      in_flight: held,
      failed: failures.length,
      failures,
      elapsed_ms: Date.now() - parts.started,
    };
    const report = { info, outcome: result, committed };
    const stale = parts.superseded;
    this.observe(() =>
      this.observer?.ran?.(stale.length === 0 ? report : { ...report, superseded: stale.map((item) => item.event!) }),
    );
    return result;
  }

  /** Hears a task that settled after its deadline (its item was already failed and released). */
  private onLate(info: DeliveryInfo): (late: LateSettlement) => void {
    return (late: LateSettlement) => {
      this.totals.late += 1;
      const fields = { ...tagOf(info), task: late.label, outcome: late.outcome, ms: late.elapsedMs };
      const message = "a task settled after its deadline; its item was already failed and released";
      const all = { ...fields, ...(late.error === undefined ? {} : { error: messageOf(late.error) }) };
      // a sink's late refusal that its dependency health already reports (once per interval) is detail
      if (isReported(late.error)) this.logger.debug?.(message, all);
      else this.logger.warn(message, all);
    };
  }

  /** An observer's error is logged, never allowed to change the answer. */
  private observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.logger.error("delivery observer failed", { error: messageOf(error) });
    }
  }
}

/** The delivery step over `options` (see `DeliveryRunner` for its steps). */
export function createDelivery(options: DeliveryOptions = {}): DeliveryStep {
  return new DeliveryRunner(options);
}
