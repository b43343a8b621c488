import type { ErrorCode, LogFields, Logger, NormalizeResult, Router, UnifiedEvent } from "../core";
import type { PerPlatform, PlatformTable } from "./policy";
import type { Sink, SinkBatch } from "./sink";
import type { StatusOrderOptions } from "./status-order";
import type { IdempotencyStore } from "./store";

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
  /**
   * Statuses that only move forward (default off): a `sent`, `delivered` or `read` that would move its message back
   * is acknowledged and not delivered (`outcome.superseded`). Needs the store (memory or redis). docs/reliability.md
   */
  readonly statusOrder?: boolean | StatusOrderOptions;
}

/** What one run reports to its observer. */
export interface DeliveryReport {
  readonly info: DeliveryInfo;
  readonly outcome: DeliveryOutcome;
  /** the envelopes and unhandled records committed by this run (duplicates and failed items excluded) */
  readonly committed: SinkBatch;
  /** with `statusOrder`: the statuses acknowledged without delivery because their message was further already */
  readonly superseded?: readonly UnifiedEvent[];
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
  /** the HTTP request this batch came from (serve's `x-request-id`); its log records carry it as `request_id` */
  readonly requestId?: string;
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
  /** with `statusOrder`: statuses acknowledged without delivery, their message being further already */
  readonly superseded?: number;
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
  /** with `statusOrder`: statuses acknowledged without delivery */
  superseded?: number;
}

/**
 * The delivery step (`createDelivery`): runs a normalised batch through claims, sinks, handlers and the deadline.
 * Not to be confused with a webhook sink's queued delivery (`WebhookDelivery`).
 */
export interface DeliveryStep {
  run(result: NormalizeResult, info: DeliveryInfo): Promise<DeliveryOutcome>;
  stats(): Readonly<DeliveryStats> & { readonly store: Readonly<Record<string, number | string>> | undefined };
  /** the ttl and deadline tables in force */
  readonly policy: { readonly ttl: PlatformTable; readonly deadlines: PlatformTable };
  readonly store: IdempotencyStore | undefined;
}

/** @deprecated the same type as `DeliveryStep`, under its former name */
export type Delivery = DeliveryStep;
