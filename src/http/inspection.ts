import type { ErrorCode, NormalizeResult, Normalizer } from "../core";
import type { BlockSet } from "./blocks";
import type { HttpRequest, HttpResponse } from "./handler-types";

/*
 * The seam a development inspector (src/inspect) hooks into: the handler tells it what became of each request once
 * the answer is known, and hands it what it needs to explain and replay requests. The edge knows nothing of what
 * the observer does with it; with no observer, nothing here runs.
 */

/** What became of one request, told to a `RequestObserver` once it has been answered. */
export interface RequestOutcome {
  readonly request: HttpRequest;
  /** upper-case */
  readonly method: string;
  /** the route as the log line shows it (re-encoded, no query string) */
  readonly path: string;
  readonly response: HttpResponse;
  readonly receivedAt: Date;
  readonly durationMs: number;
  /** known once the route named a block or a platform */
  readonly platform?: string;
  readonly blocks?: readonly string[];
  /** what the request normalised to, when that happened before the answer (not with `ack: "immediate"`) */
  readonly result?: NormalizeResult;
  /** items of `result` the delivery acknowledged as delivered before (redeliveries) */
  readonly duplicates?: number;
  /** why the answer is not a 2xx */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

/** What a handler lends its observer: the configuration that explains a request, and a way to run one again. */
export interface HandlerAccess {
  readonly normalizer: Normalizer;
  readonly blocks: BlockSet;
  readonly basePath: string;
  /** runs a request through the whole handler again (verification, normalising, delivery), reported like any other */
  handle(request: HttpRequest): Promise<HttpResponse>;
}

/** Hears every request a webhook handler answers (`createWebhookHandler({ inspector })`). */
export interface RequestObserver {
  /** called once, when a handler is built with this observer */
  attach?(access: HandlerAccess): void;
  /** called after each answer; it must not throw, and whatever it does is off the request's path */
  requestDone(outcome: RequestOutcome): void;
}
