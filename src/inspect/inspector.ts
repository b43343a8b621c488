import { asConvoticError, ConfigError, type ContextInput } from "../core";
import type { HandlerAccess, HttpRequest, HttpResponse, RequestObserver, RequestOutcome } from "../http";
import { uncachedJson as json } from "../http/responses";
import { curlCommand, maskedHeaders, routeSecrets, saveFixture, signedHeaders } from "./actions";
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, RingBuffer, summarize, type Entry, type Summary } from "./buffer";
import { diagnoseSignature, type Diagnosis } from "./diagnose";
import { INSPECTOR_PAGE } from "./page";

export interface InspectorOptions {
  /** where the page is served; default `/_convotic` */
  readonly path?: string;
  /** requests kept; default 500 */
  readonly maxEntries?: number;
  /** bytes kept (bodies, headers, envelopes); default 8 MiB */
  readonly maxBytes?: number;
  /** where "save as fixture" writes `<platform>/<case>.json` and its golden; default `fixtures` (from the cwd) */
  readonly fixturesDir?: string;
  /** the context goldens are normalised with; the public `createInspector` passes the test kit's */
  readonly goldenContext?: (platform: string) => ContextInput;
  /**
   * answer clients other than this machine (default false: a request from another address, or naming another
   * host in `Host`, is refused 403). The page shows bodies and replays them: keep it on loopback.
   */
  readonly allowRemote?: boolean;
  /** the clock a diagnosis compares timestamp headers with; default the system clock */
  readonly clock?: () => Date;
}

/** An incoming inspector request, as the shims read it. */
export interface InspectorRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: HttpRequest["headers"];
  readonly body: string;
  readonly remoteAddress?: string | undefined;
}

/** The inspector's answer: a whole response, or the event stream. */
export type InspectorAnswer =
  { readonly kind: "response"; readonly response: HttpResponse } | { readonly kind: "stream" };

/** The framework-free core of the inspector; the node and fetch shims in index.ts serve it. */
export class InspectorCore implements RequestObserver {
  readonly path: string;
  private readonly buffer: RingBuffer;
  private readonly listeners = new Set<(chunk: string) => void>();
  private readonly replays = new WeakMap<HttpRequest, number>();
  private readonly replayed = new WeakMap<HttpRequest, number>();
  private readonly diagnoses = new Map<number, Diagnosis>();
  private access: HandlerAccess | undefined;
  private closed = false;

  constructor(private readonly options: InspectorOptions = {}) {
    this.path = (options.path ?? "/_convotic").replace(/\/+$/, "");
    this.buffer = new RingBuffer(options.maxEntries ?? DEFAULT_MAX_ENTRIES, options.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  attach(access: HandlerAccess): void {
    this.access = access;
  }

  requestDone(outcome: RequestOutcome): void {
    const entry = this.buffer.add(this.withRoute(outcome), this.replays.get(outcome.request));
    if (entry === undefined) return;
    this.replayed.set(outcome.request, entry.id);
    for (const id of this.diagnoses.keys()) if (this.buffer.get(id) === undefined) this.diagnoses.delete(id);
    this.broadcast("entry", summarize(entry));
  }

  /** A refused request names no block in its outcome: the inspector reads it from the URL, as the handler would. */
  private withRoute(outcome: RequestOutcome): RequestOutcome {
    if (outcome.blocks !== undefined || this.access === undefined) return outcome;
    const route = routeSecrets(this.access, outcome.request.url);
    if (route === undefined) return outcome;
    return { ...outcome, platform: route.platform, ...(route.block === undefined ? {} : { blocks: [route.block] }) };
  }

  /** The requests held, oldest first. */
  entries(): Summary[] {
    return this.buffer.all().map(summarize);
  }

  /** How many requests and bytes are held (what the caps bound). */
  stats(): { entries: number; bytes: number; max_entries: number; max_bytes: number } {
    const { size, heldBytes, maxEntries, maxBytes } = this.buffer;
    return { entries: size, bytes: heldBytes, max_entries: maxEntries, max_bytes: maxBytes };
  }

  matches(url: string): boolean {
    const path = pathOf(url);
    return path === this.path || path.startsWith(`${this.path}/`);
  }

  /** Subscribes to the event stream: the current list first, then one `entry` per request. */
  subscribe(send: (chunk: string) => void): () => void {
    send(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.entries())}\n\n`);
    this.listeners.add(send);
    return () => this.listeners.delete(send);
  }

  /** Ends every event stream (the server is stopping: an open stream would hold its graceful stop). */
  close(): void {
    this.closed = true;
    this.broadcast("bye", {});
    for (const send of this.listeners) send("");
    this.listeners.clear();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The answer to a request under the inspector's path (`matches` first). */
  async answer(request: InspectorRequest): Promise<InspectorAnswer> {
    const refused = this.refusal(request);
    if (refused !== undefined) return respond(refused);
    const rest = pathOf(request.url).slice(this.path.length) || "/";
    const method = request.method.toUpperCase();
    if (rest === "/" && method === "GET")
      return respond({
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...PAGE_HEADERS },
        body: INSPECTOR_PAGE,
      });
    if (rest === "/events" && method === "GET") {
      if (this.closed) return respond(json(503, { error: "the server is stopping" }));
      return { kind: "stream" };
    }
    if (rest === "/api/entries" && method === "GET") return respond(json(200, { entries: this.entries() }));
    const match = /^\/api\/entries\/(\d+)(?:\/(replay|fixture|curl))?$/.exec(rest);
    if (match === null) return respond(json(404, { error: `no inspector route ${rest}` }));
    const entry = this.buffer.get(Number(match[1]));
    if (entry === undefined) return respond(json(404, { error: `entry ${match[1]} is no longer held` }));
    const action = match[2];
    if (action === undefined) {
      if (method !== "GET") return respond(json(405, { error: "GET an entry" }));
      return respond(json(200, this.detail(entry)));
    }
    if (method !== "POST") return respond(json(405, { error: `POST to ${action}` }));
    // a custom header makes a cross-site page's request need a CORS preflight, which is never granted here
    if (request.headers["x-convotic-inspector"] !== "1")
      return respond(json(403, { error: "actions need the header x-convotic-inspector: 1" }));
    try {
      return respond(await this.act(action, entry, request));
    } catch (error) {
      // a ConfigError here is about what was asked (a case name that exists, a body that does not normalise)
      const failure = asConvoticError(error);
      return respond(json(error instanceof ConfigError ? 422 : 500, { error: failure.message }));
    }
  }

  /** An entry in full: masked headers, the body exact and pretty, envelopes, unhandled items, the diagnosis. */
  detail(entry: Entry): unknown {
    const { outcome } = entry;
    const { request } = outcome;
    const text = Buffer.from(request.rawBody).toString("utf8");
    let pretty: string | null;
    try {
      pretty = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      pretty = null;
    }
    const route = this.access === undefined ? undefined : routeSecrets(this.access, request.url);
    let signing: string[] = [];
    if (route !== undefined) {
      try {
        signing = Object.keys(signedHeaders(this.access!, route, request)).map((name) => name.toLowerCase());
      } catch {
        signing = [];
      }
    }
    return {
      summary: summarize(entry),
      request_id: request.requestId ?? null,
      route: route?.label ?? null,
      headers: maskedHeaders(request.headers, signing),
      body: { exact: text, pretty, bytes: request.rawBody.byteLength },
      response: { status: outcome.response.status, body: outcome.response.body },
      error: outcome.error ?? null,
      envelopes: outcome.result?.events ?? null,
      unhandled: outcome.result?.unhandled ?? null,
      superseded: supersededOf(outcome),
      diagnosis: outcome.error?.code === "invalid_signature" ? this.diagnose(entry) : null,
    };
  }

  private diagnose(entry: Entry): Diagnosis | null {
    const cached = this.diagnoses.get(entry.id);
    if (cached !== undefined) return cached;
    const access = this.access;
    const route = access === undefined ? undefined : routeSecrets(access, entry.outcome.request.url);
    if (access === undefined || route === undefined) return null;
    const diagnosis = diagnoseSignature({
      normalizer: access.normalizer,
      platform: route.platform,
      secrets: route.secrets,
      route: route.label,
      request: entry.outcome.request,
      others: route.others,
      publicUrl: route.publicUrl,
      now: this.options.clock?.() ?? new Date(),
    });
    this.diagnoses.set(entry.id, diagnosis);
    return diagnosis;
  }

  private async act(action: string, entry: Entry, request: InspectorRequest): Promise<HttpResponse> {
    const access = this.access;
    if (access === undefined) return json(409, { error: "no webhook handler is attached to this inspector" });
    const stored = entry.outcome.request;
    if (action === "replay") {
      const again: HttpRequest = {
        method: stored.method,
        url: stored.url,
        headers: stored.headers,
        rawBody: stored.rawBody,
        requestId: `replay-${entry.id}-${Date.now().toString(36)}`,
      };
      this.replays.set(again, entry.id);
      const response = await access.handle(again);
      return json(200, { status: response.status, body: response.body, entry: this.replayed.get(again) ?? null });
    }
    if (action === "curl") {
      const host = typeof request.headers["host"] === "string" ? request.headers["host"] : "127.0.0.1";
      return json(200, { command: curlCommand(access, stored, `http://${host}`) });
    }
    const context = this.options.goldenContext;
    if (context === undefined) return json(409, { error: "this inspector was created without a golden context" });
    let name = `inspected-${entry.id}`;
    try {
      const given = (JSON.parse(request.body || "{}") as { name?: unknown }).name;
      if (typeof given === "string" && given !== "") name = given;
    } catch {
      return json(400, { error: "the body is not JSON" });
    }
    const saved = await saveFixture(access, stored, { dir: this.options.fixturesDir ?? "fixtures", name, context });
    return json(200, saved);
  }

  /** Loopback only unless allowed: the client's address, and the `Host` it named (a rebinding DNS name is refused). */
  private refusal(request: InspectorRequest): HttpResponse | undefined {
    if (this.options.allowRemote === true) return undefined;
    const remote = request.remoteAddress;
    if (remote !== undefined && !isLoopbackAddress(remote))
      return json(403, { error: "the inspector answers this machine only (allowRemote / --inspect-allow-remote)" });
    const host = request.headers["host"];
    if (typeof host === "string" && !isLoopbackHost(host))
      return json(403, { error: `the inspector answers loopback host names only, not ${host.slice(0, 64)}` });
    return undefined;
  }

  private broadcast(event: string, data: unknown): void {
    if (this.listeners.size === 0) return;
    const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const send of this.listeners) send(chunk);
  }
}

/** No framing, no referrer, no scripts from anywhere else: the page is one self-contained document. */
const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** The statuses held back by `statusOrder`, as the page lists them: id, type, and the platform's message id. */
function supersededOf(outcome: RequestOutcome): { id: string; type: string; message_id: string | null }[] {
  const ids = new Set(outcome.superseded ?? []);
  if (ids.size === 0) return [];
  return (outcome.result?.events ?? [])
    .filter((event) => ids.has(event.id))
    .map((event) => {
      const message = (event.metadata as { platform_message_id?: unknown } | undefined)?.platform_message_id;
      return { id: event.id, type: event.type, message_id: typeof message === "string" ? message : null };
    });
}

function respond(response: HttpResponse): InspectorAnswer {
  return { kind: "response", response };
}

function pathOf(url: string): string {
  try {
    return new URL(url, "http://localhost").pathname;
  } catch {
    return "";
  }
}

function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/:\d+$/, "").toLowerCase();
  return name === "localhost" || name === "[::1]" || /^127(\.\d{1,3}){3}$/.test(name);
}
