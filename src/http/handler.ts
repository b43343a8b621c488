import {
  ConvoticError,
  messageOf,
  DispatchError,
  PayloadError,
  SignatureError,
  headerValue,
  type ContextInput,
  type HeaderMap,
  type NormalizeResult,
  type Normalizer,
  type Router,
  type UnhandledEvent,
  type UnifiedEvent,
} from "../core";
import { BlockSet, loadBlocks, type Block, type Env } from "./blocks";
import { defaultLogger, type Logger } from "./logger";

/** A request as any server sees it. `url` is a path with its query string, or a full URL. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderMap;
  /** the exact bytes received; shims read at most `bodyLimit + 1` of them */
  readonly rawBody: Uint8Array;
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
  readonly ack?: AckMode;
  /** the largest accepted body in bytes; default 1 MiB */
  readonly bodyLimit?: number;
  /** the path prefix of the routes; default `/webhooks` */
  readonly basePath?: string;
  readonly logger?: Logger;
  /** failures of background processing in `immediate` mode (they are logged too) */
  readonly onError?: (error: unknown, info: BackgroundFailure) => void;
  readonly clock?: () => Date;
}

/** The framework-free handler; the shims in express.ts, fetch.ts and node.ts adapt it to a server. */
export interface WebhookHandler {
  (request: HttpRequest): Promise<HttpResponse>;
  readonly bodyLimit: number;
  readonly basePath: string;
  /** whether a URL is under this handler's routes (shims call `next()` for the others) */
  matches(url: string): boolean;
  /** resolves when background work started in `immediate` mode has finished */
  drain(): Promise<void>;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
const JSON_TYPE = "application/json; charset=utf-8";

/** An answer other than 200 that the edge chooses itself (404, 405, 413, 415). */
class HttpError extends ConvoticError {
  override readonly name = "HttpError";
  constructor(
    code: string,
    status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, status, message);
  }
}

/** The answer a shim gives when another body parser consumed the stream first (peers.md §3A). */
export function bodyAlreadyParsedResponse(): HttpResponse {
  return json(500, {
    error: {
      code: "body_already_parsed",
      message:
        "the request body was already read by another body parser, so its exact bytes (which the signature covers) are gone: " +
        "mount convotic before express.json() or on its own route",
    },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** `application/json`, with an optional UTF-8 charset: what every supported platform sends. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") return false;
  return params.every((param) => !param.startsWith("charset=") || ["utf-8", "utf8"].includes(param.slice(8).replaceAll('"', "")));
}

/** Key order does not matter when deciding whether two blocks share their secrets. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** Blocks of one platform that share a secrets object (every Page of one Meta app shares the app secret). */
interface SecretsGroup {
  readonly secrets: unknown;
  readonly blocks: Block[];
}

type Target =
  | { readonly kind: "block"; readonly platform: string; readonly block: Block }
  | { readonly kind: "shared"; readonly platform: string; readonly groups: readonly SecretsGroup[] };

interface Work {
  readonly block: Block;
  readonly payload: unknown;
}

interface Outcome {
  readonly response: HttpResponse;
  readonly fields?: Record<string, string | number | readonly string[]>;
}

/**
 * Builds the request handler. Routes: `POST|GET {basePath}/:blockId` for one block, and `POST|GET
 * {basePath}/:platform` shared by every block of a platform whose adapter splits payloads per account. Block ids
 * are looked up first; loading guarantees no block id is a platform name.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const { normalizer, router, sink } = options;
  const blocks =
    options.blocks instanceof BlockSet
      ? options.blocks
      : loadBlocks(options.blocks, { normalizer, env: options.env ?? (typeof process === "undefined" ? {} : process.env) });
  const ack = options.ack ?? "after-dispatch";
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const basePath = (options.basePath ?? "/webhooks").replace(/\/+$/, "");
  const logger = options.logger ?? defaultLogger;
  const clock = options.clock ?? (() => new Date());
  const pending = new Set<Promise<void>>();

  // shared-route candidates: blocks that name their account, grouped by identical secrets
  const groups = new Map<string, SecretsGroup[]>();
  const groupOf = new Map<Block, SecretsGroup>();
  for (const platform of normalizer.platforms) {
    if (normalizer.adapterFor(platform).accounts === undefined) continue;
    const bySecrets = new Map<string, SecretsGroup>();
    for (const block of blocks.ofPlatform(platform)) {
      if (block.account_id === undefined) continue;
      const key = canonical(block.secrets);
      const group = bySecrets.get(key) ?? { secrets: block.secrets, blocks: [] };
      group.blocks.push(block);
      bySecrets.set(key, group);
      groupOf.set(block, group);
    }
    if (bySecrets.size > 0) groups.set(platform, [...bySecrets.values()]);
  }

  function routeKey(url: string): string | undefined {
    let pathname: string;
    try {
      pathname = new URL(url, "http://localhost").pathname;
    } catch {
      return undefined;
    }
    if (!pathname.startsWith(`${basePath}/`)) return undefined;
    const rest = pathname.slice(basePath.length + 1).replace(/\/$/, "");
    if (rest === "" || rest.includes("/")) return undefined;
    try {
      return decodeURIComponent(rest);
    } catch {
      return undefined;
    }
  }

  function resolve(key: string | undefined): Target {
    if (key === undefined) throw new HttpError("not_found", 404, `no webhook route here: POST to ${basePath}/<block id>`);
    const block = blocks.byId(key);
    if (block !== undefined) return { kind: "block", platform: block.platform, block };
    if (normalizer.platforms.includes(key)) {
      if (normalizer.adapterFor(key).accounts === undefined) {
        throw new HttpError("not_found", 404, `${key} has no shared route (its payloads do not name the account): POST to ${basePath}/<block id>`);
      }
      const candidates = groups.get(key);
      if (candidates === undefined) throw new HttpError("not_found", 404, `no ${key} block is configured with an account_id`);
      return { kind: "shared", platform: key, groups: candidates };
    }
    throw new HttpError("not_found", 404, `unknown block ${JSON.stringify(key.slice(0, 128))}`);
  }

  function methodNotAllowed(target: Target): HttpError {
    const allow = normalizer.adapterFor(target.platform).handshake === undefined ? "POST" : "GET, POST";
    return new HttpError("method_not_allowed", 405, `use ${allow.replace(", ", " or ")}`, { allow });
  }

  function context(block: Block, receivedAt: Date): ContextInput {
    return { workspace_id: block.workspace_id, block_id: block.id, received_at: receivedAt };
  }

  async function deliver(result: NormalizeResult): Promise<void> {
    if (result.events.length + result.unhandled.length === 0) return;
    if (sink !== undefined) {
      try {
        await sink(result.events, result.unhandled);
      } catch (cause) {
        throw new ConvoticError("sink_failed", 500, `the event sink failed: ${messageOf(cause)}`, { cause });
      }
    }
    if (router !== undefined) await router.dispatch(result);
  }

  async function normalizeAndDeliver(platform: string, work: readonly Work[], receivedAt: Date): Promise<NormalizeResult> {
    const merged: { events: UnifiedEvent[]; unhandled: UnhandledEvent[] } = { events: [], unhandled: [] };
    for (const { block, payload } of work) {
      const result = normalizer.normalizePayload(platform, payload, context(block, receivedAt));
      merged.events.push(...result.events);
      merged.unhandled.push(...result.unhandled);
    }
    await deliver(merged);
    return merged;
  }

  /** Immediate mode: the response goes out first; a timer turn keeps even the synchronous normalising after it. */
  function background(task: () => Promise<unknown>, info: BackgroundFailure): void {
    const run = new Promise<void>((done) => setTimeout(done, 0))
      .then(task)
      .then(
        () => undefined,
        (error: unknown) => {
          logger.error("background processing failed; the platform will not redeliver", {
            platform: info.platform,
            blocks: info.block_ids,
            code: error instanceof ConvoticError ? error.code : "internal_error",
            error: messageOf(error),
          });
          try {
            options.onError?.(error, info);
          } catch {
            // a throwing onError must not become an unhandled rejection
          }
        },
      )
      .finally(() => pending.delete(run));
    pending.add(run);
  }

  /** Tries every candidate secrets object (none short-circuits) and returns those that verify. */
  function verifyShared(platform: string, request: HttpRequest, candidates: readonly SecretsGroup[]): Set<SecretsGroup> {
    const verified = new Set<SecretsGroup>();
    let first: unknown;
    for (const group of candidates) {
      try {
        normalizer.verify(platform, request, group.secrets);
        verified.add(group);
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        first ??= error;
      }
    }
    if (verified.size === 0) throw first ?? new SignatureError(platform, "no configured secret verifies this request");
    return verified;
  }

  async function post(target: Target, request: HttpRequest, receivedAt: Date): Promise<Outcome> {
    const contentType = headerValue(request.headers, "content-type");
    if (!isJson(contentType)) {
      const given = contentType === undefined ? "none" : `"${contentType.slice(0, 100)}"`;
      throw new HttpError("unsupported_media_type", 415, `expected content-type application/json (UTF-8), got ${given}`);
    }
    if (request.rawBody.byteLength > bodyLimit) {
      throw new HttpError("payload_too_large", 413, `the body exceeds the limit of ${bodyLimit} bytes`);
    }
    const { platform } = target;
    const work: Work[] = [];
    const unrouted: string[] = [];
    if (target.kind === "block") {
      normalizer.verify(platform, request, target.block.secrets);
      work.push({ block: target.block, payload: normalizer.parse(platform, request.rawBody) });
    } else {
      const verified = verifyShared(platform, request, target.groups);
      const payload = normalizer.parse(platform, request.rawBody);
      for (const slice of normalizer.accounts(platform, payload) ?? []) {
        const block = blocks.byAccount(platform, slice.account_id);
        if (block === undefined) {
          if (!unrouted.includes(slice.account_id)) unrouted.push(slice.account_id);
          continue;
        }
        // a request signed with one block's secret never reaches a block with other secrets
        const group = groupOf.get(block);
        if (group === undefined || !verified.has(group)) {
          throw new SignatureError(platform, `the signature does not match the secrets of the block for account ${slice.account_id}`);
        }
        work.push({ block, payload: slice.payload });
      }
      if (unrouted.length > 0) {
        logger.warn("no block is configured for these accounts; acknowledged without processing", { platform, accounts: unrouted });
      }
    }
    const blockIds = [...new Set(work.map((item) => item.block.id))];
    const extra = unrouted.length > 0 ? { unrouted } : {};
    const fields = { platform, blocks: blockIds, ...(unrouted.length > 0 ? { unrouted } : {}) };
    if (ack === "immediate") {
      background(() => normalizeAndDeliver(platform, work, receivedAt), { platform, block_ids: blockIds });
      return { response: json(200, { ok: true, ack: "immediate", ...extra }), fields };
    }
    const result = await normalizeAndDeliver(platform, work, receivedAt);
    return {
      response: json(200, { ok: true, events: result.events.length, unhandled: result.unhandled.length, ...extra }),
      fields: { ...fields, events: result.events.length, unhandled: result.unhandled.length },
    };
  }

  async function get(target: Target, request: HttpRequest, receivedAt: Date): Promise<Outcome> {
    const { platform } = target;
    if (normalizer.adapterFor(platform).handshake === undefined) throw methodNotAllowed(target);
    const query = new URL(request.url, "http://localhost").searchParams;
    const candidates =
      target.kind === "block"
        ? [{ secrets: target.block.secrets, block: target.block }]
        : target.groups.flatMap((group) => (group.blocks[0] === undefined ? [] : [{ secrets: group.secrets, block: group.blocks[0] }]));
    let chosen: { status: number; body: string; events: UnifiedEvent[]; block: Block } | undefined;
    let first: typeof chosen;
    // every candidate is asked, so timing does not reveal which verify token matched
    for (const { secrets, block } of candidates) {
      const result = normalizer.handshake(platform, { query, headers: request.headers }, secrets, context(block, receivedAt));
      if (result === undefined) continue;
      const answer = { ...result, block };
      first ??= answer;
      if (chosen === undefined && result.status >= 200 && result.status < 300) chosen = answer;
    }
    const answer = chosen ?? first;
    if (answer === undefined) throw methodNotAllowed(target);
    const events = { events: answer.events, unhandled: [] };
    const fields = { platform, blocks: [answer.block.id], events: answer.events.length, ...(chosen === undefined ? { code: "handshake_failed" } : {}) };
    if (ack === "immediate") background(() => deliver(events), { platform, block_ids: [answer.block.id] });
    else await deliver(events);
    return { response: { status: answer.status, headers: { "content-type": "text/plain; charset=utf-8" }, body: answer.body }, fields };
  }

  function failure(error: unknown): { response: HttpResponse; code: string; detail?: string } {
    if (error instanceof HttpError) return { response: json(error.status, error.toJSON(), { ...error.headers }), code: error.code, detail: error.message };
    if (error instanceof DispatchError) {
      const message = "an event handler failed; answering 500 so the platform redelivers";
      return { response: json(500, { error: { code: error.code, message } }), code: error.code, detail: error.message };
    }
    if (error instanceof ConvoticError && error.code === "sink_failed") {
      const message = "the event sink failed; answering 500 so the platform redelivers";
      return { response: json(500, { error: { code: error.code, message } }), code: error.code, detail: error.message };
    }
    if (error instanceof PayloadError) {
      // the message may quote the body (JSON.parse does), so it is answered but never logged
      return { response: json(error.status, error.toJSON()), code: error.code };
    }
    if (error instanceof ConvoticError) return { response: json(error.status, error.toJSON()), code: error.code, detail: error.message };
    const detail = messageOf(error);
    return { response: json(500, { error: { code: "internal_error", message: "internal error" } }), code: "internal_error", detail };
  }

  const handle = async (request: HttpRequest): Promise<HttpResponse> => {
    const started = Date.now();
    const receivedAt = clock();
    const method = request.method.toUpperCase();
    const key = routeKey(request.url);
    // the path as received (percent-encoded, no query string: a handshake's query carries the verify token)
    const path = key === undefined ? "(other)" : `${basePath}/${encodeURIComponent(key)}`;
    try {
      const target = resolve(key);
      let outcome: Outcome;
      if (method === "POST") outcome = await post(target, request, receivedAt);
      else if (method === "GET") outcome = await get(target, request, receivedAt);
      else throw methodNotAllowed(target);
      logger.info("webhook", { method, path, status: outcome.response.status, ...outcome.fields, ms: Date.now() - started });
      return outcome.response;
    } catch (error) {
      const { response, code, detail } = failure(error);
      const fields = { method, path, status: response.status, code, error: detail, ms: Date.now() - started };
      if (response.status >= 500) logger.error("webhook", fields);
      else if (response.status === 401) logger.warn("webhook", fields);
      else logger.info("webhook", fields);
      return response;
    }
  };

  return Object.assign(handle, {
    bodyLimit,
    basePath,
    matches: (url: string) => routeKey(url) !== undefined,
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  });
}
