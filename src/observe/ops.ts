import { randomUUID } from "node:crypto";
import type { BlockSet, HttpRequest, HttpResponse, WebhookHandler } from "../http";
import { pathnameOf } from "../http/route";
import { uncachedJson as json } from "../http/responses";
import { messageOf } from "../core";
// by module path: a function through core's index is a getter call per request
import { withFields } from "../core/objects";
import type { Metrics } from "./metrics";

/** Something `/readyz` asks: a sink or store the server depends on. It throws (or rejects) when not usable. */
export interface ReadinessCheck {
  readonly name: string;
  check(): void | Promise<void>;
}

export interface ObserveOptions {
  /** the loaded blocks: metrics and logs name a request's block only when it is one of these */
  readonly blocks: BlockSet;
  readonly metrics?: Metrics;
  readonly readiness?: readonly ReadinessCheck[];
  /** how long one readiness check may take before it reads "no answer"; default 2 s */
  readonly checkTimeoutMs?: number;
  /**
   * how long a probe waits for checks to refresh before it answers from their last known results (the probe's own
   * limit: a slow dependency never makes `/readyz` hang); default 250 ms, or the check timeout plus 50 ms if shorter
   */
  readonly probeWaitMs?: number;
  /** a check result younger than this is answered without asking again; default 0 (each probe starts a refresh unless one runs) */
  readonly checkFreshMs?: number;
  /**
   * whether this handler answers `/healthz`, `/readyz` and `/metrics` itself (default true). `false` when they are
   * served on a listener of their own (`startOpsServer`): the public one then answers 404 there.
   */
  readonly opsRoutes?: boolean;
  /**
   * whether metrics label requests with their block id. Default: only when the ops routes are not on this
   * handler, because anyone who can reach `/metrics` would read the configured ids, which the 404 of an unknown
   * route does not reveal; otherwise the label is `(hidden)`.
   */
  readonly blockLabels?: boolean;
}

export interface ObservedHandler extends WebhookHandler {
  /** from now on `/readyz` answers 503, so a load balancer stops sending while in-flight requests finish */
  setDraining(): void;
  /** the answer of an ops route (`/healthz`, `/readyz`, `/metrics`), or `undefined` for any other path */
  answerOps(url: string, method: string): Promise<HttpResponse> | undefined;
}

const OPS_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NONE = "(none)";
const HIDDEN = "(hidden)";
/** request paths whose metric labels are remembered */
const KNOWN_PATHS = 256;

/** The error code of one of our `{error: {code}}` answers. */
function codeOf(response: HttpResponse): string | undefined {
  if (response.status < 400) return undefined;
  try {
    const code = (JSON.parse(response.body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

/** One check's last known answer and the run that may be refreshing it. */
interface CheckState {
  /** `ok`, or why not */
  result: string | undefined;
  at: number;
  running: Promise<void> | undefined;
  /** when the running refresh began */
  started: number;
}

/**
 * Runs readiness checks in the background and answers from their last known results: a probe waits for a
 * refresh at most `probeWaitMs`, so a check that hangs (a stream mid-election, a paused Redis) never makes the probe
 * hang; the check itself is cut at `checkTimeoutMs` and then reads "no answer within N ms".
 */
class ReadinessCache {
  private readonly states: Map<ReadinessCheck, CheckState>;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly checkTimeoutMs: number,
    private readonly probeWaitMs: number,
    private readonly freshMs: number,
  ) {
    this.states = new Map(checks.map((check) => [check, { result: undefined, at: 0, running: undefined, started: 0 }]));
  }

  async results(): Promise<(readonly [string, string])[]> {
    const now = Date.now();
    const refreshing: Promise<void>[] = [];
    for (const [check, state] of this.states) {
      if (state.running === undefined && (state.result === undefined || now - state.at >= this.freshMs)) {
        state.started = now;
        state.running = this.refresh(check, state);
      }
      if (state.running !== undefined) refreshing.push(state.running);
    }
    if (refreshing.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(refreshing),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, this.probeWaitMs))),
      ]);
      clearTimeout(timer);
    }
    return this.checks.map((check) => {
      const state = this.states.get(check)!;
      if (state.result !== undefined) return [check.name, state.result] as const;
      return [check.name, `no answer yet (checking for ${Date.now() - state.started} ms)`] as const;
    });
  }

  private async refresh(check: ReadinessCheck, state: CheckState): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.checkTimeoutMs} ms`), this.checkTimeoutMs);
    });
    try {
      state.result = await Promise.race([
        Promise.resolve()
          .then(() => check.check())
          .then(
            () => "ok",
            (error: unknown) => messageOf(error),
          ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
      state.at = Date.now();
      state.running = undefined;
    }
  }
}

/**
 * Operations around a webhook handler, without changing it: `GET /healthz` (the process answers),
 * `GET /readyz` (blocks are loaded, every readiness check passes, not draining), `GET /metrics` (Prometheus text),
 * all outside the webhook base path; and for every webhook request a request id (the caller's `x-request-id`
 * when it is a plain token, else a new UUID) that log records carry and the answer echoes, plus its metrics.
 */
export function observeHandler(handler: WebhookHandler, options: ObserveOptions): ObservedHandler {
  const { blocks, metrics } = options;
  const checks = options.readiness ?? [];
  const checkTimeoutMs = options.checkTimeoutMs ?? 2000;
  const probeWaitMs = options.probeWaitMs ?? Math.min(250, checkTimeoutMs + 50);
  const readiness = new ReadinessCache(checks, checkTimeoutMs, probeWaitMs, options.checkFreshMs ?? 0);
  let draining = false;
  const prefix = `${handler.basePath}/`;
  const opsRoutes = options.opsRoutes ?? true;
  const blockLabels = options.blockLabels ?? !opsRoutes;

  // the labels of the paths that named a configured block or platform: the same few paths arrive over and over
  const labelsOf = new Map<string, { platform: string; block: string }>();

  /** platform and block of a webhook path, from configured names only */
  function routeOf(path: string): { platform: string; block: string } {
    const known = labelsOf.get(path);
    if (known !== undefined) return known;
    const labels = labelsFor(path);
    if (labels.platform !== NONE && labelsOf.size < KNOWN_PATHS) labelsOf.set(path, labels);
    return labels;
  }

  function labelsFor(path: string): { platform: string; block: string } {
    if (!path.startsWith(prefix)) return { platform: NONE, block: NONE };
    const key = decodeURIComponent(path.slice(prefix.length).split("/")[0] ?? "");
    const block = blocks.byId(key);
    if (block !== undefined) return { platform: block.platform, block: blockLabels ? block.id : HIDDEN };
    return blocks.ofPlatform(key).length > 0 ? { platform: key, block: "(shared)" } : { platform: NONE, block: NONE };
  }

  async function ops(path: string, method: string): Promise<HttpResponse> {
    if (method !== "GET" && method !== "HEAD")
      return {
        ...json(405, { error: { code: "method_not_allowed", message: `${path} answers GET` } }),
        headers: { allow: "GET, HEAD" },
      };
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      if (draining) return json(503, { status: "draining" });
      const results = await readiness.results();
      const ready = blocks.all.length > 0 && results.every(([, result]) => result === "ok");
      return json(ready ? 200 : 503, {
        status: ready ? "ready" : "not ready",
        blocks: blocks.all.length,
        checks: Object.fromEntries(results),
      });
    }
    if (metrics === undefined) return json(404, { error: { code: "not_found", message: "metrics are not enabled" } });
    return { status: 200, headers: { "content-type": metrics.contentType }, body: await metrics.text() };
  }

  const observed = async (request: HttpRequest): Promise<HttpResponse> => {
    const path = pathnameOf(request.url);
    if (opsRoutes && OPS_PATHS.has(path)) return ops(path, request.method);
    const given = request.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    const started = process.hrtime.bigint();
    // the id travels with the request (no AsyncLocalStorage: on Node 20 its promise hooks tax every promise)
    const { method, url, headers, rawBody, remoteAddress } = request;
    const response = await handler({ method, url, headers, rawBody, requestId, remoteAddress });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (metrics !== undefined) {
      const { platform, block } = routeOf(path);
      metrics.request({ platform, block, status: response.status, code: codeOf(response), seconds });
    }
    return {
      status: response.status,
      // not `{ ...headers, key }`: on Node 20 such a literal gets a map of its own per request (core/objects.ts)
      headers: withFields(response.headers, { "x-request-id": requestId }),
      body: response.body,
    };
  };
  return Object.assign(observed, {
    bodyLimit: handler.bodyLimit,
    basePath: handler.basePath,
    bodyBudget: handler.bodyBudget,
    refuse: handler.refuse,
    matches: (url: string) => (opsRoutes && OPS_PATHS.has(pathnameOf(url))) || handler.matches(url),
    drain: (signal?: AbortSignal) => handler.drain(signal),
    delivery: handler.delivery,
    setDraining: () => {
      draining = true;
    },
    answerOps: (url: string, method: string) => {
      let path: string;
      try {
        path = pathnameOf(url);
      } catch {
        return undefined;
      }
      return OPS_PATHS.has(path) ? ops(path, method.toUpperCase()) : undefined;
    },
  });
}
