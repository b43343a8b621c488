import {
  asConvoticError,
  queryOf,
  type NormalizeResult,
  type Normalizer,
  type PlatformOperations,
  type ShapeLimits,
} from "../core";
import { BackgroundWork } from "./background";
import { BodyBudget } from "./budget";
import { checkBody, checkShape, shapeLimitsOf } from "./checks";
import { BlockSet, loadBlocks } from "./blocks";
import { createDelivery, type DeliveryStep, type Sink } from "../delivery";
import { deliverBatch, type DeliveryContext } from "./deliver";
import { HttpError, methodNotAllowed } from "./errors";
import { defaultLogger, type LogFields, type Logger } from "./logger";
import { normalizeWork } from "./normalize";
import { acknowledgement, countsResponse, errorResponse, json, plainText } from "./responses";
import { parseRoute, resolveTarget, RouteMemo, routePath, type Target } from "./route";
import { splitWork, verifyTarget, type Work } from "./verify";
import { publicUrlOf } from "./public-url";
import { report, SupersededLedger } from "./outcome";
import { noticeDrift, type DriftListeners } from "./notice-drift";
import type {
  AckMode,
  BackgroundFailure,
  HttpRequest,
  HttpResponse,
  RequestObserver,
  WebhookHandlerOptions,
} from "./handler-types";

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const DEFAULT_MIN_IN_FLIGHT_BYTES = 32 * 1024 * 1024;

/** A delivered batch, how many of its items were duplicates, and the statuses `statusOrder` held back. */
interface Delivered {
  readonly result: NormalizeResult;
  readonly duplicates: number;
  readonly superseded?: readonly string[] | undefined;
}

/** A body that only proves the endpoint: nothing in it but `platform.webhook.verified` events. */
function isVerification(result: NormalizeResult): boolean {
  return (
    result.events.length > 0 &&
    result.unhandled.length === 0 &&
    result.events.every((event) => event.type === "platform.webhook.verified")
  );
}

/** A successful answer and the fields its log line carries. */
interface Answer {
  readonly response: HttpResponse;
  readonly fields: LogFields;
  /** for an inspector: what the request normalised to, and how many of its items were redeliveries */
  readonly result?: NormalizeResult;
  readonly duplicates?: number;
  readonly superseded?: readonly string[] | undefined;
}

/**
 * The steps of `createWebhookHandler`, one method each: `handle` routes a request to `post` or `get`; `post`
 * checks, verifies, splits and dispatches; `dispatch` delivers now or later; `fail` logs and answers a failure.
 * The platform's operations are asked of core once per request (`Normalizer.operationsFor`).
 */
export class WebhookHandlerSteps {
  readonly bodyLimit: number;
  readonly basePath: string;
  readonly bodyBudget: BodyBudget;
  /** the delivery step: its `stats()` (handled, duplicates, failed, store size…) are worth reporting */
  readonly delivery: DeliveryStep;
  private readonly normalizer: Normalizer;
  private readonly blocks: BlockSet;
  private readonly ack: AckMode;
  private readonly shapeLimits: ShapeLimits;
  private readonly logger: Logger;
  private readonly clock: () => Date;
  private readonly background = new BackgroundWork();
  private readonly routes = new RouteMemo();
  private readonly onError: ((error: unknown, info: BackgroundFailure) => void) | undefined;
  private readonly inspector: RequestObserver | undefined;
  /** who hears a request's drift (`noticeDrift`) */
  private readonly drift: DriftListeners;
  /** with a request observer: which statuses each delivery held back */
  private readonly ledger: SupersededLedger | undefined;

  constructor(options: WebhookHandlerOptions) {
    const { normalizer, router, sink } = options;
    this.normalizer = normalizer;
    this.blocks =
      options.blocks instanceof BlockSet
        ? options.blocks
        : loadBlocks(options.blocks, {
            normalizer,
            env: options.env ?? (typeof process === "undefined" ? {} : process.env),
          });
    this.ack = options.ack ?? "after-dispatch";
    this.bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
    this.shapeLimits = shapeLimitsOf(options);
    this.basePath = (options.basePath ?? "/webhooks").replace(/\/+$/, "");
    this.logger = options.logger ?? defaultLogger;
    this.clock = options.clock ?? (() => new Date());
    this.onError = options.onError;
    this.drift = { onDrift: options.onDrift, router, logger: this.logger };
    const sinks: Sink[] = [...(options.sinks ?? [])];
    if (sink !== undefined) {
      sinks.push({
        name: "sink",
        write: async (batch) => sink(batch.events, batch.unhandled),
        close: async () => undefined,
      });
    }
    this.ledger = options.inspector === undefined ? undefined : new SupersededLedger(options.observer);
    const observer = this.ledger ?? options.observer;
    this.delivery = createDelivery({
      sinks,
      logger: this.logger,
      store: options.idempotency ?? false,
      ...(router === undefined ? {} : { router }),
      ...(observer === undefined ? {} : { observer }),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      ...(options.deadlines === undefined ? {} : { deadlines: options.deadlines }),
      ...(options.statusOrder === undefined ? {} : { statusOrder: options.statusOrder }),
    });
    this.bodyBudget = new BodyBudget(
      options.maxInFlightBytes ?? Math.max(DEFAULT_MIN_IN_FLIGHT_BYTES, 8 * this.bodyLimit),
      options.fairness,
    );
    this.inspector = options.inspector;
    this.inspector?.attach?.({
      normalizer,
      blocks: this.blocks,
      basePath: this.basePath,
      handle: (request) => this.handle(request),
    });
  }

  /** One request: route, then `post` or `get`; one log line for the answer, whatever it is. */
  async handle(request: HttpRequest): Promise<HttpResponse> {
    const started = Date.now();
    const receivedAt = this.clock();
    const method = request.method.toUpperCase();
    const known = this.routes.get(request.url);
    const route = known === undefined ? parseRoute(request.url, this.basePath) : known.route;
    const path = known === undefined ? routePath(route, this.basePath) : known.path;
    // known once the route resolves, so a refused request's log line names its platform and block too
    let target: Target | undefined;
    try {
      target = resolveTarget(route, this.blocks, this.normalizer, this.basePath);
      if (known === undefined) this.routes.remember(request.url, route!, path);
      const operations = this.normalizer.operationsFor(target.platform);
      let answer: Answer;
      if (method === "POST") answer = await this.post(operations, target, request, receivedAt);
      else if (method === "GET") answer = this.get(operations, target, request, receivedAt);
      else throw this.allowed(operations);
      const status = answer.response.status;
      const ms = Date.now() - started;
      const { requestId } = request;
      this.logger.info(
        "webhook",
        requestId === undefined
          ? { method, path, status, ...answer.fields, ms }
          : { request_id: requestId, method, path, status, ...answer.fields, ms },
      );
      if (this.inspector !== undefined) {
        const { platform, blocks } = answer.fields as { platform?: string; blocks?: readonly string[] };
        const { response, result, duplicates, superseded } = answer;
        const seen = { request, method, path, response, receivedAt, durationMs: ms, platform, blocks };
        report(this.inspector, { ...seen, result, duplicates, superseded });
      }
      return answer.response;
    } catch (error) {
      const response = this.fail(method, path, started, error, request.requestId, request.remoteAddress, target);
      if (this.inspector !== undefined) {
        const failure = asConvoticError(error);
        const durationMs = Date.now() - started;
        const platform = failure.platform;
        report(this.inspector, { request, method, path, response, receivedAt, durationMs, failure, platform });
      }
      return response;
    }
  }

  /** For shims: the answer to a request they could not read in full, logged like any other. */
  refuse(request: { readonly method: string; readonly url: string }, error: unknown): HttpResponse {
    return this.fail(
      request.method.toUpperCase(),
      routePath(parseRoute(request.url, this.basePath), this.basePath),
      Date.now(),
      error,
    );
  }

  matches(url: string): boolean {
    return parseRoute(url, this.basePath) !== undefined;
  }

  drain(signal?: AbortSignal): Promise<number> {
    return this.background.drain(signal);
  }

  /** Checks, verifies, splits per block and dispatches; answers 200 with the counts (or at once, `immediate`). */
  private async post(
    operations: PlatformOperations,
    target: Target,
    request: HttpRequest,
    receivedAt: Date,
  ): Promise<Answer> {
    const contentType = checkBody(request, this.bodyLimit, operations.contentTypes);
    const { platform } = target;
    const verified = verifyTarget(operations, target, request);
    checkShape(platform, verified.body, this.shapeLimits, contentType);
    const { work, unrouted } = splitWork(operations, this.blocks, verified, verified.body, contentType);
    const extra = unrouted.count > 0 ? { unrouted: unrouted.first, unrouted_count: unrouted.count } : {};
    if (unrouted.count > 0) {
      const tag = request.requestId === undefined ? {} : { request_id: request.requestId };
      this.logger.warn("no block is configured for these accounts; acknowledged without processing", {
        ...tag,
        platform,
        accounts: unrouted.first,
        count: unrouted.count,
      });
    }
    const blockIds = work.length === 1 ? [work[0]!.block.id] : [...new Set(work.map((item: Work) => item.block.id))];
    const { requestId } = request;
    const delivery = this.delivery;
    const ledger = this.ledger;
    const context: DeliveryContext = {
      platform,
      blockIds,
      receivedAt,
      delivery,
      ...(requestId === undefined ? {} : { requestId }),
      ...(ledger === undefined ? {} : { ledger }),
    };
    const running = this.dispatch(context, () =>
      noticeDrift(normalizeWork(operations, work, receivedAt), context, this.drift),
    );
    // the platform's own acknowledgement (Twilio's empty TwiML, WeChat's `success`) replaces the JSON counts
    const own = operations.adapter.acknowledgement;
    const acknowledged = own === undefined ? undefined : acknowledgement(own);
    if (running === undefined)
      return {
        response: acknowledged ?? json(200, { ok: true, ack: "immediate", ...extra }),
        fields: { platform, blocks: blockIds, ...extra },
      };
    const { result, duplicates, superseded } = await running;
    const events = result.events.length;
    const unhandled = result.unhandled.length;
    // a redelivery says so: its events were acknowledged without running again (a first delivery has no key)
    const repeated = duplicates > 0 ? { duplicates } : undefined;
    // the usual answer, every account routed and nothing new, built without spreading the (empty) extra fields
    if (unrouted.count === 0 && repeated === undefined && result.drift === undefined)
      return {
        response: acknowledged ?? countsResponse(events, unhandled),
        fields: { platform, blocks: blockIds, events, unhandled },
        result,
        duplicates,
        superseded,
      };
    const drift = result.drift === undefined ? {} : { drift: result.drift.length };
    return {
      response: acknowledged ?? json(200, { ok: true, events, unhandled, ...repeated, ...drift, ...extra }),
      fields: { platform, blocks: blockIds, ...extra, events, unhandled, ...repeated, ...drift },
      result,
      duplicates,
      superseded,
    };
  }

  /** A GET handshake, answered from the block's configuration alone; its event is delivered after the answer. */
  private get(operations: PlatformOperations, target: Target, request: HttpRequest, receivedAt: Date): Answer {
    const { platform } = target;
    if (!operations.hasHandshake) throw this.allowed(operations);
    const query = queryOf(request.url);
    // a shared route answers for its app: its blocks share one verify token
    const block = target.kind === "block" ? target.block : target.group.blocks[0]!;
    const context = { workspace_id: block.workspace_id, block_id: block.id, received_at: receivedAt };
    const url = publicUrlOf(block, request);
    const result = operations.handshake({ query, headers: request.headers, url }, block.secrets, context);
    if (result === undefined) throw this.allowed(operations);
    const answer = { ...result, block };
    const ok = result.status >= 200 && result.status < 300;
    const fields = {
      platform,
      blocks: [block.id],
      events: answer.events.length,
      ...(ok ? {} : { code: "handshake_failed" }),
    };
    // the answer comes from the block's configuration alone: its event is delivered after it, whatever the
    // handlers and the store are doing (a hung handler or a store that is down made Meta's handshake a 500 or 503)
    if (answer.events.length > 0) {
      const tag = request.requestId === undefined ? {} : { requestId: request.requestId };
      this.deliverLater({ platform, blockIds: [answer.block.id], receivedAt, delivery: this.delivery, ...tag }, () => ({
        events: answer.events,
        unhandled: [],
      }));
    }
    const response = plainText(answer.status, answer.body);
    return {
      response:
        result.contentType === undefined ? response : { ...response, headers: { "content-type": result.contentType } },
      fields,
      result: { events: answer.events, unhandled: [] },
    };
  }

  private allowed(operations: PlatformOperations): HttpError {
    return methodNotAllowed(operations.hasHandshake ? "GET, POST" : "POST");
  }

  /**
   * Runs `work` now (after-dispatch: the caller awaits the promise) or after the answer (immediate: `undefined`,
   * and failures are logged and reported). Not itself async: a request waits on one promise fewer.
   */
  private dispatch(context: DeliveryContext, work: () => NormalizeResult): Promise<Delivered> | undefined {
    if (this.ack !== "immediate") return this.deliverNow(context, work);
    this.deliverLater(context, work);
    return undefined;
  }

  /** Normalises and delivers; a failed delivery throws its error, whose answer says why. */
  private async deliverNow(context: DeliveryContext, work: () => NormalizeResult): Promise<Delivered> {
    const result = work();
    // a verification (LINE's Verify button, Viber's set_webhook callback) is answered from the configuration
    // alone, like a GET handshake: its event is delivered after the answer
    if (isVerification(result)) {
      this.deliverLater(context, () => result);
      return { result, duplicates: 0 };
    }
    return this.deliverResult(context, result);
  }

  /** Runs the delivery step; a failed delivery throws its error, whose answer says why. */
  private async deliverResult(context: DeliveryContext, result: NormalizeResult): Promise<Delivered> {
    const outcome = await deliverBatch(result, context);
    if (outcome.kind === "failed") throw outcome.error;
    return { result, duplicates: outcome.duplicates, superseded: outcome.superseded };
  }

  /** Delivers after the answer; failures are logged and reported to `onError`. */
  private deliverLater(context: DeliveryContext, work: () => NormalizeResult): void {
    const info: BackgroundFailure = { platform: context.platform, block_ids: context.blockIds };
    this.background.run(
      async () => void (await this.deliverResult(context, work())),
      (error) => {
        const failure = asConvoticError(error);
        this.logger.error("background processing failed; the platform will not redeliver", {
          ...(context.requestId === undefined ? {} : { request_id: context.requestId }),
          platform: info.platform,
          blocks: info.block_ids,
          code: failure.code,
          error: failure.message,
        });
        this.onError?.(error, info);
      },
    );
  }

  /** One log line and the error's answer, for every failure. */
  private fail(
    method: string,
    path: string,
    started: number,
    error: unknown,
    requestId?: string,
    remote?: string,
    target?: Target,
  ): HttpResponse {
    const failure = asConvoticError(error);
    const response = errorResponse(failure);
    const fields = {
      method,
      path,
      ...(target === undefined
        ? {}
        : {
            platform: target.platform,
            blocks: target.kind === "block" ? [target.block.id] : target.group.blocks.map((block) => block.id),
          }),
      status: response.status,
      code: failure.code,
      error: failure.logDetail,
      ms: Date.now() - started,
      remote,
    };
    this.logger[failure.logLevel]("webhook", requestId === undefined ? fields : { request_id: requestId, ...fields });
    return response;
  }
}
