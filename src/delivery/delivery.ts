import { ConvoticError, hashId, type ErrorCode, messageOf, type LogFields, type Logger, type NormalizeResult, type Router, type UnhandledEvent, type UnifiedEvent } from "../core";
import { Deadline, DeadlineError, type LateSettlement } from "./deadline";
import { isReported, markReported } from "./dependency-health";
import { SinkTimeoutError } from "./errors";
import { MemoryStore } from "./memory-store";
import { DEFAULT_DEADLINE_MS, DEFAULT_TTL_MS, PlatformTable, type PerPlatform } from "./policy";
import type { Sink, SinkBatch } from "./sink";
import { StoreUnavailableError, type Claim, type IdempotencyStore } from "./store";

/** The edge's logger (one declaration, in core); `debug` is optional (duplicates are reported there). */
export type DeliveryLogFields = LogFields;
export type DeliveryLogger = Logger;

export interface DeliveryOptions {
  /** where claims live; default a `MemoryStore` with its default bound; `false` turns idempotency off */
  readonly store?: IdempotencyStore | false;
  /** receive every event and unhandled record first, each at most once per sink */
  readonly sinks?: readonly Sink[];
  /** its handlers run per event after the sinks accepted it */
  readonly router?: Router;
  /** how long a done event is remembered (ms), per platform over `DEFAULT_TTL_MS`, or one number for all */
  readonly ttl?: PerPlatform;
  /** the time the sinks and handlers of one request get (ms), per platform over `DEFAULT_DEADLINE_MS` */
  readonly deadlines?: PerPlatform;
  readonly logger?: DeliveryLogger;
  /** hears what each run did (serve's metrics count from it) */
  readonly observer?: DeliveryObserver;
}

/** What one run reports to its observer. */
export interface DeliveryReport {
  readonly info: DeliveryInfo;
  readonly outcome: DeliveryOutcome;
  /** the envelopes and unhandled records committed by this run (duplicates and failed items excluded) */
  readonly committed: SinkBatch;
}

/** A sink refused or failed the items it was given in one run; they are released and redelivered. */
export interface SinkFailureReport {
  readonly info: DeliveryInfo;
  readonly sink: string;
  /** `sink_failed`, `sink_unavailable`, `sink_backpressure`, `sink_closed`, `deadline_exceeded`… */
  readonly code: ErrorCode;
  readonly items: number;
}

export interface DeliveryObserver {
  ran?(report: DeliveryReport): void;
  sinkFailed?(report: SinkFailureReport): void;
}

export interface DeliveryInfo {
  readonly platform: string;
  readonly block_ids: readonly string[];
  /** the HTTP request this batch came from (serve's `x-request-id`); its log records carry it */
  readonly request_id?: string;
}

/** The fields that tie a log record to its batch: the request id (when known) first, then platform and blocks. */
function tagOf(info: DeliveryInfo): { request_id?: string; platform: string; blocks: readonly string[] } {
  return info.request_id === undefined
    ? { platform: info.platform, blocks: info.block_ids }
    : { request_id: info.request_id, platform: info.platform, blocks: info.block_ids };
}

export interface EventFailure {
  /** the envelope id, or the `unh_…` key of an unhandled record */
  readonly id: string;
  /** the envelope type, or `unhandled:<kind>` */
  readonly type: string;
  /** `handler_failed`, `sink_failed`, `deadline_exceeded`; "later" ones: `store_unavailable`, `in_flight`, `sink_backpressure` */
  readonly code: ErrorCode;
  /** 500 when the work failed (the platform redelivers), 503 when it could not start now (retry later) */
  readonly status: 500 | 503;
  readonly message: string;
}

/** What happened to a batch, and what the edge should answer. */
export interface DeliveryOutcome {
  /** 200 when every item is committed (now or before); 500 when one failed; 503 when one is held elsewhere */
  readonly status: 200 | 500 | 503;
  /** with 503: seconds after which the holder will have committed or released (for `Retry-After`) */
  readonly retry_after_s?: number;
  /** envelopes whose sinks and handlers ran and were committed now */
  readonly handled: number;
  /** unhandled records delivered and committed now */
  readonly unhandled: number;
  /** items committed before (or repeated within the batch): acknowledged without running anything */
  readonly duplicates: number;
  /** items claimed by another delivery and not committed yet */
  readonly in_flight: number;
  readonly failed: number;
  readonly failures: readonly EventFailure[];
  readonly elapsed_ms: number;
}

export interface DeliveryStats {
  handled: number;
  unhandled: number;
  duplicates: number;
  in_flight: number;
  failed: number;
  timed_out: number;
  /** tasks that settled after their deadline (each logged) */
  late: number;
}

export interface Delivery {
  run(result: NormalizeResult, info: DeliveryInfo): Promise<DeliveryOutcome>;
  stats(): Readonly<DeliveryStats> & { readonly store: Readonly<Record<string, number | string>> | undefined };
  /** the ttl and deadline tables in force */
  readonly policy: { readonly ttl: PlatformTable; readonly deadlines: PlatformTable };
  readonly store: IdempotencyStore | undefined;
}

/** One event or unhandled record on its way through a run. */
interface Item {
  readonly key: string;
  readonly type: string;
  readonly event?: UnifiedEvent;
  readonly record?: UnhandledEvent;
  token?: string;
  failure?: EventFailure;
}

/** A store's answer to one claim, or why it gave none. */
type Claimed = Claim | StoreUnavailableError;

/** A claim this delivery holds, and whether its work succeeded. */
interface Held {
  readonly key: string;
  readonly token: string;
  readonly ok: boolean;
}

/** Unhandled records have no envelope id: one is derived from what identifies the raw item on redelivery. */
export function unhandledKey(record: UnhandledEvent): string {
  const identity = record.raw_platform_event_id ?? JSON.stringify(record.raw) ?? "";
  return `unh_${hashId([record.platform, record.block_id, record.kind, identity])}`;
}

/** A sink's claim on an item, separate from the handlers', so a redelivery does not hand it the item twice. */
function stageKey(key: string, sink: Sink): string {
  return `${key}>sink:${sink.name}`;
}

/**
 * A sink that reads its signal answers the deadline itself (a full queue waiting for room: 503 `sink_unavailable`,
 * so the platform gets `Retry-After` rather than a 500). Its rejection follows the abort by a few microtasks, after
 * the race has already lost: give it one turn of the event loop to be heard.
 */
function verdictAtDeadline(writing: Promise<void>, fallback: DeadlineError): Promise<unknown> {
  return new Promise((resolve) => {
    const timer = setImmediate(() => resolve(fallback));
    writing.then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof ConvoticError && error.status === 503) {
          clearImmediate(timer);
          resolve(error);
        }
      },
    );
  });
}

/** What a sink that never reads its signal gets (`Sink.ignoresSignal`). */
const NEVER_ABORTED = new AbortController().signal;

const noLogger: DeliveryLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function failureOf(item: Item, error: unknown): EventFailure {
  const code = error instanceof ConvoticError ? error.code : "handler_failed";
  const status = error instanceof ConvoticError && error.status === 503 ? 503 : 500;
  const failure: EventFailure = { id: item.key, type: item.type, code, status, message: messageOf(error) };
  // a sink or store that reports its own outage (once per interval, with a count) is not logged again per event
  return isReported(error) ? markReported(failure) : failure;
}


/**
 * The step between normalising and answering. For each item of a batch: claim its id; a done one is skipped and
 * counted; one in flight elsewhere makes the answer 503; ours goes to the sinks, then to its router handlers,
 * within the platform's deadline, then is committed, or released on failure so the redelivery runs it again.
 */
export function createDelivery(options: DeliveryOptions = {}): Delivery {
  const store = options.store === false ? undefined : (options.store ?? new MemoryStore());
  const sinks = options.sinks ?? [];
  const router = options.router;
  const logger = options.logger ?? noLogger;
  const ttl = new PlatformTable("idempotency ttl", DEFAULT_TTL_MS, options.ttl);
  const deadlines = new PlatformTable("deadline", DEFAULT_DEADLINE_MS, options.deadlines);
  const totals: DeliveryStats = { handled: 0, unhandled: 0, duplicates: 0, in_flight: 0, failed: 0, timed_out: 0, late: 0 };
  const names = new Set<string>();
  for (const sink of sinks) {
    if (names.has(sink.name)) throw new ConvoticError(`two sinks are named "${sink.name}"; sink names key their idempotency`, { code: "invalid_config", status: 500 });
    names.add(sink.name);
  }

  function onLate(info: DeliveryInfo) {
    return (late: LateSettlement) => {
      totals.late += 1;
      const fields = { ...tagOf(info), task: late.label, outcome: late.outcome, ms: late.elapsedMs };
      const message = "a task settled after its deadline; its item was already failed and released";
      const all = { ...fields, ...(late.error === undefined ? {} : { error: messageOf(late.error) }) };
      // a sink's late refusal that its dependency health already reports (once per interval) is detail
      if (isReported(late.error)) logger.debug?.(message, all);
      else logger.warn(message, all);
    };
  }

  const immediate = store?.immediate;

  function unavailable(reason: unknown): StoreUnavailableError {
    return reason instanceof StoreUnavailableError ? reason : new StoreUnavailableError(store?.kind ?? "none", reason);
  }

  /**
   * Claims every key at once (a Redis client pipelines them); a store error answers for its key only. A store that
   * answers immediately gives the array itself: the caller goes on without waiting a microtask per key.
   */
  function claimKeys(keys: readonly string[], leaseMs: number): Claimed[] | Promise<Claimed[]> {
    if (store === undefined) return keys.map(() => ({ state: "yours", token: "" }));
    if (immediate !== undefined) {
      return keys.map((key) => {
        try {
          return immediate.claimNow(key, leaseMs);
        } catch (error) {
          return unavailable(error);
        }
      });
    }
    return Promise.allSettled(keys.map((key) => store.claim(key, leaseMs))).then((claims) =>
      claims.map((claim) => (claim.status === "fulfilled" ? claim.value : unavailable(claim.reason))),
    );
  }

  function settleFailed(key: string, ok: boolean, info: DeliveryInfo, error: unknown): void {
    const fields = { ...(info.request_id === undefined ? {} : { request_id: info.request_id }), id: key, error: messageOf(error) };
    if (isReported(error)) {
      // the store reports its outage once per interval and sends the commit or release again once it answers
      logger.debug?.(ok ? "commit failed; the store sends it again once it answers" : "release failed; the store sends it again once it answers", fields);
      return;
    }
    const message = ok ? "commit failed: a redelivery after the lease may run this again" : "release failed: the claim expires with its lease";
    logger.error(message, fields);
  }

  /**
   * Commits what succeeded, releases what failed; a store error here is logged (the lease expires on its own).
   * Returns a promise only when there is something to wait for (a store that does not answer immediately).
   */
  function settle(held: readonly Held[], ttlMs: number, info: DeliveryInfo): Promise<void> | undefined {
    if (store === undefined) return undefined;
    if (immediate !== undefined) {
      for (const { key, token, ok } of held) {
        try {
          if (ok) immediate.commitNow(key, token, ttlMs);
          else immediate.releaseNow(key, token);
        } catch (error) {
          settleFailed(key, ok, info, error);
        }
      }
      return undefined;
    }
    return Promise.all(
      held.map(async ({ key, token, ok }) => {
        try {
          if (ok) await store.commit(key, token, ttlMs);
          else await store.release(key, token);
        } catch (error) {
          settleFailed(key, ok, info, error);
        }
      }),
    ).then(() => undefined);
  }

  /** One sink: claims its stage of each item, writes those it has not accepted before, commits or releases them. */
  async function feed(sink: Sink, items: readonly Item[], run: { info: DeliveryInfo; deadline: Deadline; leaseMs: number; ttlMs: number }): Promise<void> {
    const { deadline, leaseMs, ttlMs } = run;
    const keys = items.map((item) => stageKey(item.key, sink));
    const answered = claimKeys(keys, leaseMs);
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
        item.failure ??= { id: item.key, type: item.type, code: "in_flight", status: 503, message: `sink ${sink.name} holds it in another delivery` };
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
            : new ConvoticError(`sink ${sink.name} failed: ${messageOf(error)}`, { code: "sink_failed", status: 500, cause: error });
      for (const { item } of taken) item.failure ??= failureOf(item, cause);
      observe(() => options.observer?.sinkFailed?.({ info: run.info, sink: sink.name, code: cause.code, items: taken.length }));
    }
    const settling = settle(
      taken.map(({ key, token }) => ({ key, token, ok })),
      ttlMs,
      run.info,
    );
    if (settling !== undefined) await settling;
  }

  async function run(result: NormalizeResult, info: DeliveryInfo): Promise<DeliveryOutcome> {
    const started = Date.now();
    const deadlineMs = deadlines.for(info.platform);
    const ttlMs = ttl.for(info.platform);
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
    const answered = claimKeys(
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

    // nothing of ours to run (all duplicates, held or unreachable): no deadline timer to start
    if (mine.length > 0) await runMine(mine, { info, deadlineMs, leaseMs, ttlMs });
    const settling = settle(
      mine.map((item) => ({ key: item.key, token: item.token!, ok: item.failure === undefined })),
      ttlMs,
      info,
    );
    if (settling !== undefined) await settling;
    return outcome({ info, started, deadlineMs, mine, done, held, broken });
  }

  /** Sinks then handlers for the items this delivery claimed, all within one deadline. */
  async function runMine(mine: readonly Item[], run: { info: DeliveryInfo; deadlineMs: number; leaseMs: number; ttlMs: number }): Promise<void> {
    const { info, deadlineMs, leaseMs, ttlMs } = run;
    const deadline = new Deadline(deadlineMs, onLate(info));
    try {
      await Promise.all(sinks.map((sink) => feed(sink, mine, { info, deadline, leaseMs, ttlMs })));
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

  function outcome(parts: { info: DeliveryInfo; started: number; deadlineMs: number; mine: Item[]; done: Item[]; held: Item[]; broken: Item[] }): DeliveryOutcome {
    const { info, mine, done, broken } = parts;
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
    totals.in_flight += held;
    totals.failed += failures.length;
    totals.timed_out += timedOut;
    if (done.length > 0) {
      logger.debug?.("duplicates acknowledged without running", { ...tagOf(info), count: done.length, ids: done.slice(0, 20).map((item) => item.key) });
    }
    for (const failure of failures) {
      const tag = info.request_id === undefined ? { platform: info.platform } : { request_id: info.request_id, platform: info.platform };
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
      in_flight: held,
      failed: failures.length,
      failures,
      elapsed_ms: Date.now() - parts.started,
    };
    observe(() => options.observer?.ran?.({ info, outcome: result, committed }));
    return result;
  }

  /** An observer's error is logged, never allowed to change the answer. */
  function observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      logger.error("delivery observer failed", { error: messageOf(error) });
    }
  }

  return {
    run,
    stats: () => ({ ...totals, store: store?.stats() }),
    policy: { ttl, deadlines },
    store,
  };
}
