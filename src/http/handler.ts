import type { HeaderMap, Normalizer, Router, UnhandledEvent, UnifiedEvent } from "../core";
import type { BodyBudget, FairnessOptions } from "./budget";
import type { BlockSet, Env } from "./blocks";
import type {
  DeliveryStep,
  DeliveryObserver,
  IdempotencyStore,
  PerPlatform,
  Sink,
  StatusOrderOptions,
} from "../delivery";
import type { Logger } from "./logger";
import { WebhookHandlerSteps } from "./steps";

export { bodyAlreadyParsedResponse } from "./responses";

/** A request as any server sees it. `url` is a path with its query string, or a full URL. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
  /** the exact bytes received; shims read at most `bodyLimit + 1` of them */
  readonly rawBody: Uint8Array;
  /**
   * An id for this request (`observeHandler` sets the caller's `x-request-id` or a new one): every log record of
   * the request, its delivery and its background work carries it as `request_id`.
   */
  readonly requestId?: string;
  /** the client's address (the shims set it): failure lines carry it as `remote` */
  readonly remoteAddress?: string | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Receives every normalised batch before the router does (the `serve` command writes it to stdout). */
export type EventSink = (events: readonly UnifiedEvent[], unhandled: readonly UnhandledEvent[]) => void | Promise<void>;

/**
 * `after-dispatch` (default): answer 200 once the sink and every handler succeeded, 500 otherwise so the platform
 * redelivers. `immediate`: answer 200 after verification and parsing, then normalise and dispatch in the
 * background; failures go to `onError`. See docs/http.md for the trade-off.
 */
export type AckMode = "after-dispatch" | "immediate";

export interface BackgroundFailure {
  readonly platform: string;
  readonly block_ids: readonly string[];
}

export interface WebhookHandlerOptions {
  readonly normalizer: Normalizer;
  /** loaded blocks, or raw block configurations validated here (`${VAR}` references resolved from `env`) */
  readonly blocks: BlockSet | readonly unknown[];
  /** for raw block configurations; defaults to `process.env` */
  readonly env?: Env;
  readonly router?: Router;
  readonly sink?: EventSink;
  /** more sinks (each receives an event at most once, see docs/reliability.md) */
  readonly sinks?: readonly Sink[];
  /** where event ids are claimed and committed (a `MemoryStore`, a `RedisStore`); none by default (`serve` uses memory) */
  readonly idempotency?: IdempotencyStore | false;
  /** how long a committed event id is remembered (ms), per platform or one number; defaults in docs/reliability.md */
  readonly ttl?: PerPlatform;
  /** the time a request's sinks and handlers get (ms), per platform or one number; defaults in docs/reliability.md */
  readonly deadlines?: PerPlatform;
  /** statuses that only move forward (default off; needs `idempotency`): see docs/reliability.md */
  readonly statusOrder?: boolean | StatusOrderOptions;
  readonly ack?: AckMode;
  /** the largest accepted body in bytes; default 1 MiB */
  readonly bodyLimit?: number;
  /** object members one body may hold, at every depth; past it 413 `too_many_keys`. Default 100,000 */
  readonly maxKeys?: number;
  /** array elements one body may hold, at every depth; past it 413 `too_many_items`. Default 10,000 */
  readonly maxItems?: number;
  /**
   * the body bytes all requests together may hold while being read and handled; past it a request is answered
   * 503 with `Retry-After`. Default: 32 MiB or 8 body limits, whichever is larger.
   */
  readonly maxInFlightBytes?: number;
  /**
   * how the in-flight budget is shared before authentication: a share per remote address, a reserve for small
   * bodies, a minimum body rate (defaults in docs/http.md, "Fairness before authentication")
   */
  readonly fairness?: FairnessOptions;
  /** the path prefix of the routes; default `/webhooks` */
  readonly basePath?: string;
  readonly logger?: Logger;
  /** hears what each delivery did: items committed, duplicates, sink failures (serve's metrics) */
  readonly observer?: DeliveryObserver;
  /** failures of background processing in `immediate` mode (they are logged too) */
  readonly onError?: (error: unknown, info: BackgroundFailure) => void;
  readonly clock?: () => Date;
}

/** The framework-free handler; the shims in express.ts, fetch.ts and node.ts adapt it to a server. */
export interface WebhookHandler {
  (request: HttpRequest): Promise<HttpResponse>;
  readonly bodyLimit: number;
  readonly basePath: string;
  /** what the shims reserve body bytes from while they read (see `maxInFlightBytes`) */
  readonly bodyBudget: BodyBudget;
  /**
   * For shims: the answer to a request they could not read in full (`BusyError`, `ClientClosedError`, a broken
   * stream), logged as one line like any other answer.
   */
  refuse(request: { readonly method: string; readonly url: string }, error: unknown): HttpResponse;
  /** whether a URL is under this handler's routes (shims call `next()` for the others) */
  matches(url: string): boolean;
  /** resolves when background work started in `immediate` mode has finished */
  /**
   * Resolves when background work started in `immediate` mode has finished, or when `signal` aborts: then with the
   * number of tasks still running (abandoned by whoever stops waiting).
   */
  drain(signal?: AbortSignal): Promise<number>;
  /** the delivery step: its `stats()` (handled, duplicates, failed, store size…) are worth reporting */
  readonly delivery: DeliveryStep;
}

export { DEFAULT_BODY_LIMIT } from "./steps";

/**
 * Builds the request handler. Routes: `POST|GET {basePath}/:blockId` for one block, and `POST|GET
 * {basePath}/:platform` shared by every block of a platform whose adapter splits payloads per account. The steps
 * are the methods of `WebhookHandlerSteps` (steps.ts): route, target, verification and split (verify.ts),
 * normalising (normalize.ts), delivery (deliver.ts), and the error's answer (`errorResponse`, responses.ts).
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const steps = new WebhookHandlerSteps(options);
  return Object.assign((request: HttpRequest) => steps.handle(request), {
    bodyLimit: steps.bodyLimit,
    basePath: steps.basePath,
    bodyBudget: steps.bodyBudget,
    refuse: (request: { readonly method: string; readonly url: string }, error: unknown) =>
      steps.refuse(request, error),
    matches: (url: string) => steps.matches(url),
    drain: (signal?: AbortSignal) => steps.drain(signal),
    delivery: steps.delivery,
  });
}
