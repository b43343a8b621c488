import {
  asConvoticError,
  type HeaderMap,
  type NormalizeResult,
  type Normalizer,
  type Router,
  type UnhandledEvent,
  type UnifiedEvent,
} from "../core";
import { BackgroundWork } from "./background";
import { BodyBudget, type FairnessOptions } from "./budget";
import { checkBody, checkShape, shapeLimitsOf } from "./checks";
import { BlockSet, loadBlocks, type Env } from "./blocks";
import { createDelivery, type Delivery, type DeliveryObserver, type IdempotencyStore, type PerPlatform, type Sink } from "../delivery";
import { deliverBatch, type DeliveryContext } from "./deliver";
import { HttpError, methodNotAllowed } from "./errors";
import { defaultLogger, type LogFields, type Logger } from "./logger";
import { normalizeWork } from "./normalize";
import { json, plainText } from "./responses";
import { parseRoute, resolveTarget, routePath, type Target } from "./route";
import { splitWork, verifyTarget, type Work } from "./verify";

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
  readonly delivery: Delivery;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_MIN_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

/** A body that only proves the endpoint: nothing in it but `platform.webhook.verified` events. */
function isVerification(result: NormalizeResult): boolean {
  return result.events.length > 0 && result.unhandled.length === 0 && result.events.every((event) => event.type === "platform.webhook.verified");
}

/** A successful answer and the fields its log line carries. */
interface Answer {
  readonly response: HttpResponse;
  readonly fields: LogFields;
}

/**
 * Builds the request handler. Routes: `POST|GET {basePath}/:blockId` for one block, and `POST|GET
 * {basePath}/:platform` shared by every block of a platform whose adapter splits payloads per account. Each step
 * is a function of its own: route (route.ts), target, verification and split (verify.ts), normalising
 * (normalize.ts), delivery (deliver.ts), and the error's own answer (`ConvoticError.getResponse()`).
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const { normalizer, router, sink } = options;
  const blocks =
    options.blocks instanceof BlockSet
      ? options.blocks
      : loadBlocks(options.blocks, { normalizer, env: options.env ?? (typeof process === "undefined" ? {} : process.env) });
  const ack = options.ack ?? "after-dispatch";
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const shapeLimits = shapeLimitsOf(options);
  const basePath = (options.basePath ?? "/webhooks").replace(/\/+$/, "");
  const logger = options.logger ?? defaultLogger;
  const clock = options.clock ?? (() => new Date());
  const background = new BackgroundWork();
  const sinks: Sink[] = [...(options.sinks ?? [])];
  if (sink !== undefined) {
    sinks.push({ name: "sink", write: async (batch) => sink(batch.events, batch.unhandled), close: async () => undefined });
  }
  const delivery = createDelivery({
    sinks,
    logger,
    store: options.idempotency ?? false,
    ...(router === undefined ? {} : { router }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    ...(options.deadlines === undefined ? {} : { deadlines: options.deadlines }),
  });
  const bodyBudget = new BodyBudget(options.maxInFlightBytes ?? Math.max(DEFAULT_MIN_IN_FLIGHT_BYTES, 8 * bodyLimit), options.fairness);

  /** One log line and the error's own answer, for every failure. */
  function fail(method: string, path: string, started: number, error: unknown, requestId?: string, remote?: string): HttpResponse {
    const failure = asConvoticError(error);
    const response = failure.getResponse();
    const fields = { method, path, status: response.status, code: failure.code, error: failure.logDetail, ms: Date.now() - started, remote };
    logger[failure.logLevel]("webhook", requestId === undefined ? fields : { request_id: requestId, ...fields });
    return response;
  }

  function allowed(platform: string): HttpError {
    return methodNotAllowed(normalizer.adapterFor(platform).handshake === undefined ? "POST" : "GET, POST");
  }

  /** Normalises and delivers; a failed delivery throws its error, whose answer says why. */
  async function deliverNow(context: DeliveryContext, work: () => NormalizeResult): Promise<NormalizeResult> {
    const result = work();
    // a verification (LINE's Verify button, Viber's set_webhook callback) is answered from the configuration
    // alone, like a GET handshake: its event is delivered after the answer
    if (isVerification(result)) {
      deliverLater(context, () => result);
      return result;
    }
    return deliverResult(context, result);
  }

  /** Runs the delivery step; a failed delivery throws its error, whose answer says why. */
  async function deliverResult(context: DeliveryContext, result: NormalizeResult): Promise<NormalizeResult> {
    const outcome = await deliverBatch(result, context);
    if (outcome.kind === "failed") throw outcome.error;
    return result;
  }

  /**
   * Runs `work` now (after-dispatch: the caller awaits the promise) or after the answer (immediate: `undefined`,
   * and failures are logged and reported). Not itself async: a request waits on one promise fewer.
   */
  function dispatch(context: DeliveryContext, work: () => NormalizeResult): Promise<NormalizeResult> | undefined {
    if (ack !== "immediate") return deliverNow(context, work);
    deliverLater(context, work);
    return undefined;
  }

  /** Delivers after the answer; failures are logged and reported to `onError`. */
  function deliverLater(context: DeliveryContext, work: () => NormalizeResult): void {
    const info: BackgroundFailure = { platform: context.platform, block_ids: context.blockIds };
    background.run(
      async () => void (await deliverResult(context, work())),
      (error) => {
        const failure = asConvoticError(error);
        logger.error("background processing failed; the platform will not redeliver", {
          ...(context.requestId === undefined ? {} : { request_id: context.requestId }),
          platform: info.platform,
          blocks: info.block_ids,
          code: failure.code,
          error: failure.message,
        });
        options.onError?.(error, info);
      },
    );
  }

  async function post(target: Target, request: HttpRequest, receivedAt: Date): Promise<Answer> {
    checkBody(request, bodyLimit);
    const { platform } = target;
    const verified = verifyTarget(normalizer, target, request);
    checkShape(platform, request.rawBody, shapeLimits);
    const { work, unrouted } = splitWork(normalizer, blocks, verified, request.rawBody);
    const extra = unrouted.count > 0 ? { unrouted: unrouted.first, unrouted_count: unrouted.count } : {};
    if (unrouted.count > 0) {
      const tag = request.requestId === undefined ? {} : { request_id: request.requestId };
      logger.warn("no block is configured for these accounts; acknowledged without processing", { ...tag, platform, accounts: unrouted.first, count: unrouted.count });
    }
    const blockIds = work.length === 1 ? [work[0]!.block.id] : [...new Set(work.map((item: Work) => item.block.id))];
    const { requestId } = request;
    const context: DeliveryContext =
      requestId === undefined ? { platform, blockIds, receivedAt, delivery } : { platform, blockIds, receivedAt, delivery, requestId };
    const running = dispatch(context, () => normalizeWork(normalizer, platform, work, receivedAt));
    if (running === undefined) return { response: json(200, { ok: true, ack: "immediate", ...extra }), fields: { platform, blocks: blockIds, ...extra } };
    const result = await running;
    const events = result.events.length;
    const unhandled = result.unhandled.length;
    // the usual answer, every account routed, built without spreading the (empty) extra fields
    if (unrouted.count === 0) return { response: json(200, { ok: true, events, unhandled }), fields: { platform, blocks: blockIds, events, unhandled } };
    return { response: json(200, { ok: true, events, unhandled, ...extra }), fields: { platform, blocks: blockIds, ...extra, events, unhandled } };
  }

  function get(target: Target, request: HttpRequest, receivedAt: Date): Answer {
    const { platform } = target;
    if (normalizer.adapterFor(platform).handshake === undefined) throw allowed(platform);
    const query = new URL(request.url, "http://localhost").searchParams;
    // a shared route answers for its app: its blocks share one verify token
    const block = target.kind === "block" ? target.block : target.group.blocks[0]!;
    const context = { workspace_id: block.workspace_id, block_id: block.id, received_at: receivedAt };
    const result = normalizer.handshake(platform, { query, headers: request.headers }, block.secrets, context);
    if (result === undefined) throw allowed(platform);
    const answer = { ...result, block };
    const ok = result.status >= 200 && result.status < 300;
    const fields = { platform, blocks: [block.id], events: answer.events.length, ...(ok ? {} : { code: "handshake_failed" }) };
    // the answer comes from the block's configuration alone: its event is delivered after it, whatever the
    // handlers and the store are doing (a hung handler or a store that is down made Meta's handshake a 500 or 503)
    if (answer.events.length > 0) {
      const tag = request.requestId === undefined ? {} : { requestId: request.requestId };
      deliverLater({ platform, blockIds: [answer.block.id], receivedAt, delivery, ...tag }, () => ({ events: answer.events, unhandled: [] }));
    }
    return { response: plainText(answer.status, answer.body), fields };
  }

  const handle = async (request: HttpRequest): Promise<HttpResponse> => {
    const started = Date.now();
    const receivedAt = clock();
    const method = request.method.toUpperCase();
    const route = parseRoute(request.url, basePath);
    const path = routePath(route, basePath);
    try {
      const target = resolveTarget(route, blocks, normalizer, basePath);
      let answer: Answer;
      if (method === "POST") answer = await post(target, request, receivedAt);
      else if (method === "GET") answer = get(target, request, receivedAt);
      else throw allowed(target.platform);
      const status = answer.response.status;
      const ms = Date.now() - started;
      const { requestId } = request;
      logger.info("webhook", requestId === undefined ? { method, path, status, ...answer.fields, ms } : { request_id: requestId, method, path, status, ...answer.fields, ms });
      return answer.response;
    } catch (error) {
      return fail(method, path, started, error, request.requestId, request.remoteAddress);
    }
  };

  return Object.assign(handle, {
    bodyLimit,
    basePath,
    bodyBudget,
    refuse: (request: { readonly method: string; readonly url: string }, error: unknown) =>
      fail(request.method.toUpperCase(), routePath(parseRoute(request.url, basePath), basePath), Date.now(), error),
    matches: (url: string) => parseRoute(url, basePath) !== undefined,
    drain: (signal?: AbortSignal) => background.drain(signal),
    delivery,
  });
}
