import { ConvoticError, hashId, messageOf, type UnhandledEvent, type UnifiedEvent } from "../core";
import type { DeadlineError } from "./deadline";
import type { DeliveryInfo, DeliveryLogger, EventFailure } from "./delivery-types";
import { isReported, markReported } from "./dependency-health";
import type { Sink } from "./sink";

/*
 * What a delivery run carries and the small rules it applies to each item: keys, claims per sink, failures, log
 * tags and the deadline's verdict (split from delivery.ts, whose DeliveryRunner runs them).
 */

/** One event or unhandled record on its way through a run. */
export interface Item {
  readonly key: string;
  readonly type: string;
  readonly event?: UnifiedEvent;
  readonly record?: UnhandledEvent;
  token?: string;
  failure?: EventFailure;
}

/** Unhandled records have no envelope id: one is derived from what identifies the raw item on redelivery. */
export function unhandledKey(record: UnhandledEvent): string {
  const identity = record.raw_platform_event_id ?? JSON.stringify(record.raw) ?? "";
  return `unh_${hashId([record.platform, record.block_id, record.kind, identity])}`;
}

/** A sink's claim on an item, separate from the handlers', so a redelivery does not hand it the item twice. */
export function stageKey(key: string, sink: Sink): string {
  return `${key}>sink:${sink.name}`;
}

/**
 * A sink that reads its signal answers the deadline itself (a full queue waiting for room: 503 `sink_unavailable`,
 * so the platform gets `Retry-After` rather than a 500). Its rejection follows the abort by a few microtasks, after
 * the race has already lost: give it one turn of the event loop to be heard.
 */
export function verdictAtDeadline(writing: Promise<void>, fallback: DeadlineError): Promise<unknown> {
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
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

export const noLogger: DeliveryLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function failureOf(item: Item, error: unknown): EventFailure {
  const code = error instanceof ConvoticError ? error.code : "handler_failed";
  const status = error instanceof ConvoticError && error.status === 503 ? 503 : 500;
  const failure: EventFailure = { id: item.key, type: item.type, code, status, message: messageOf(error) };
  // a sink or store that reports its own outage (once per interval, with a count) is not logged again per event
  return isReported(error) ? markReported(failure) : failure;
}

/** The fields that tie a log record to its batch: the request id (when known) first, then platform and blocks. */
export function tagOf(info: DeliveryInfo): { request_id?: string; platform: string; blocks: readonly string[] } {
  return info.requestId === undefined
    ? { platform: info.platform, blocks: info.block_ids }
    : { request_id: info.requestId, platform: info.platform, blocks: info.block_ids };
}

/** What one run knows while its items go through the sinks and handlers. */
export interface RunPlan {
  readonly info: DeliveryInfo;
  readonly deadlineMs: number;
  readonly leaseMs: number;
  readonly ttlMs: number;
}

/** How a run's items ended up, for `outcome`. */
export interface RunParts {
  readonly info: DeliveryInfo;
  readonly started: number;
  readonly deadlineMs: number;
  readonly mine: Item[];
  readonly done: Item[];
  readonly held: Item[];
  readonly broken: Item[];
  readonly superseded: Item[];
}
