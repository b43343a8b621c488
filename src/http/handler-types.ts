import type {
  DriftRecord,
  ErrorCode,
  HeaderMap,
  NormalizeResult,
  Normalizer,
  Router,
  UnhandledEvent,
  UnifiedEvent,
} from "../core";
import type {
  DeliveryObserver,
  DeliveryStep,
  IdempotencyStore,
  PerPlatform,
  Sink,
  StatusOrderOptions,
} from "../delivery";
import type { BlockSet, Env } from "./blocks";
import type { BodyBudget, FairnessOptions } from "./budget";
import type { Logger } from "./logger";

/*
 * The types of the webhook handler, alone in a type-only module: the steps (steps.ts, verify.ts, responses.ts)
 * read them without importing handler.ts, which builds the handler from those steps (no circle between them).
 */

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

/** Where a request's drift came from. */
export interface DriftInfo {
  /** the platform of the request's route */
  readonly platform: string;
  /** the request's id (`x-request-id`), for log lines */
  readonly requestId?: string;
}

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
  /**
   * hears the drift of each request's body (fields and values its platform's catalogue does not know, docs/drift.md)
   * as it is normalised, beside the delivery: what it does never changes the answer (serve counts and logs them)
   */
  readonly onDrift?: (drift: readonly DriftRecord[], info: DriftInfo) => void;
  /** failures of background processing in `immediate` mode (they are logged too) */
  readonly onError?: (error: unknown, info: BackgroundFailure) => void;
  readonly clock?: () => Date;
  /**
   * hears what became of every request, for a development inspector (`createInspector()` in convotic/observe,
   * `convotic serve --inspect`); see docs/inspector.md
   */
  readonly inspector?: RequestObserver;
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
  /**
   * Resolves when background work started in `immediate` mode has finished, or when `signal` aborts: then with the
   * number of tasks still running (abandoned by whoever stops waiting).
   */
  drain(signal?: AbortSignal): Promise<number>;
  /** the delivery step: its `stats()` (handled, duplicates, failed, store size…) are worth reporting */
  readonly delivery: DeliveryStep;
}

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
  /**
   * envelope ids of the statuses `statusOrder` acknowledged without delivering (their message was further already);
   * absent when none was held back
   */
  readonly superseded?: readonly string[];
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
