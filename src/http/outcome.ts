import type { ConvoticError, NormalizeResult, UnifiedEvent } from "../core";
import type { DeliveryInfo, DeliveryObserver } from "../delivery";
import type { RequestObserver, RequestOutcome } from "./handler-types";

/*
 * What the handler tells a `RequestObserver` (the development inspector) about each request, apart from the steps
 * that decide the answer: with no observer, nothing here runs.
 */

/**
 * What one answered request leaves for its observer: the outcome's fields, with the optional ones allowed to be
 * `undefined` (the steps pass what they know) and the failure as the error itself.
 */
export type Observed = Pick<
  RequestOutcome,
  "request" | "method" | "path" | "response" | "receivedAt" | "durationMs"
> & {
  readonly platform?: string | undefined;
  readonly blocks?: readonly string[] | undefined;
  readonly result?: NormalizeResult | undefined;
  readonly duplicates?: number | undefined;
  readonly superseded?: readonly string[] | undefined;
  readonly failure?: ConvoticError | undefined;
};

/** Tells the observer; an observer's failure never becomes the request's. */
export function report(observer: RequestObserver | undefined, seen: Observed): void {
  if (observer === undefined) return;
  const { failure, platform, blocks, result, duplicates, superseded, ...answered } = seen;
  const outcome: RequestOutcome = {
    ...answered,
    ...(platform === undefined ? {} : { platform }),
    ...(blocks === undefined ? {} : { blocks }),
    ...(result === undefined ? {} : { result }),
    ...(duplicates === undefined ? {} : { duplicates }),
    ...(superseded === undefined || superseded.length === 0 ? {} : { superseded }),
    ...(failure === undefined ? {} : { error: { code: failure.code, message: failure.message } }),
  };
  try {
    observer.requestDone(outcome);
  } catch {
    // a development aid that throws must not change what the platform is answered
  }
}

/**
 * The statuses each delivery run held back (`statusOrder`), by the run's `DeliveryInfo`: the delivery step tells
 * its observer before its run resolves, so the request that started the run takes them right after. Only built
 * when a request observer listens; the caller's own observer still hears every report.
 */
export class SupersededLedger implements DeliveryObserver {
  private readonly held = new WeakMap<DeliveryInfo, readonly string[]>();

  constructor(private readonly inner: DeliveryObserver | undefined) {}

  ran: NonNullable<DeliveryObserver["ran"]> = (report) => {
    const stale: readonly UnifiedEvent[] | undefined = report.superseded;
    if (stale !== undefined && stale.length > 0)
      this.held.set(
        report.info,
        stale.map((event) => event.id),
      );
    this.inner?.ran?.(report);
  };

  sinkFailed: NonNullable<DeliveryObserver["sinkFailed"]> = (report) => this.inner?.sinkFailed?.(report);

  /** The envelope ids the run of `info` held back (once: they are forgotten as they are taken). */
  take(info: DeliveryInfo): readonly string[] {
    const ids = this.held.get(info) ?? [];
    this.held.delete(info);
    return ids;
  }
}
