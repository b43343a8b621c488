import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestObserver } from "../http";
import { writeResponse } from "../http";
import type { Summary } from "./buffer";
import { InspectorCore, type InspectorOptions } from "./inspector";

/*
 * The development inspector: a page at /_convotic listing recent webhook requests live, explaining failed
 * signatures, and replaying, saving or re-signing a request. Pass it to `createWebhookHandler({ inspector })` and
 * mount it beside the webhooks (see docs/inspector.md). Nothing in the webhook path depends on it.
 */

export type { InspectorOptions } from "./inspector";
export type { Summary as InspectedRequest } from "./buffer";
export { diagnoseSignature } from "./diagnose";
export type { CandidateBlock, Diagnosis, DiagnosisInput, Explanation, ExplanationKind } from "./diagnose";
export type { PublicUrlConfig } from "../http/public-url";

/** An action's or the page's request body is small: a case name at most. */
const MAX_ACTION_BODY = 4096;
/** A comment on the event stream now and then, so proxies and browsers keep it open. */
const HEARTBEAT_MS = 15_000;

/** The inspector: a `RequestObserver` for `createWebhookHandler({ inspector })`, and the page's server. */
export interface Inspector extends RequestObserver {
  /** where the page is served, e.g. `/_convotic` */
  readonly path: string;
  /** whether a URL is the inspector's (the page, its event stream, its JSON routes) */
  matches(url: string): boolean;
  /**
   * A `node:http` listener and Express middleware: answers under `path`; elsewhere calls `next()`, or answers 404
   * when there is none.
   */
  node(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** A fetch handler: `undefined` for a URL not under `path`, so a fetch app can fall through to its own routes. */
  fetch(request: Request): Promise<Response | undefined>;
  /** the requests held, oldest first */
  entries(): Summary[];
  /** how many requests and bytes are held, and the caps */
  stats(): { entries: number; bytes: number; max_entries: number; max_bytes: number };
  /** ends the event streams (call before a graceful stop: an open stream holds a server's close) */
  close(): void;
}

/** The inspector. `createInspector` in convotic/observe fills in the golden context of saved fixtures. */
export function createInspectorWith(options: InspectorOptions = {}): Inspector {
  const core = new InspectorCore(options);
  const streams = new Set<ServerResponse>();
  return {
    path: core.path,
    attach: (access) => core.attach(access),
    requestDone: (outcome) => core.requestDone(outcome),
    matches: (url) => core.matches(url),
    entries: () => core.entries(),
    stats: () => core.stats(),
    close: () => {
      core.close();
      for (const res of streams) res.end();
      streams.clear();
    },
    node(req, res, next) {
      const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
      if (!core.matches(url)) {
        if (next !== undefined) return next();
        return writeResponse(res, { status: 404, headers: { "content-type": "text/plain" }, body: "not found" });
      }
      let body = "";
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ACTION_BODY) body += chunk.toString("utf8");
      });
      req.on("end", () => {
        if (size > MAX_ACTION_BODY)
          return writeResponse(res, { status: 413, headers: { "content-type": "text/plain" }, body: "too large" });
        const request = {
          method: req.method ?? "GET",
          url,
          headers: req.headers,
          body,
          remoteAddress: req.socket.remoteAddress,
        };
        core.answer(request).then(
          (answer) => {
            if (answer.kind === "response") return writeResponse(res, answer.response);
            res.writeHead(200, {
              "content-type": "text/event-stream; charset=utf-8",
              "cache-control": "no-store",
              "x-accel-buffering": "no",
            });
            streams.add(res);
            const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
            heartbeat.unref();
            const stop = core.subscribe((chunk) => {
              if (chunk === "") res.end();
              else res.write(chunk);
            });
            res.on("close", () => {
              clearInterval(heartbeat);
              stop();
              streams.delete(res);
            });
          },
          () => writeResponse(res, { status: 500, headers: { "content-type": "text/plain" }, body: "internal error" }),
        );
      });
    },
    async fetch(request) {
      if (!core.matches(request.url)) return undefined;
      const headers: Record<string, string> = {};
      request.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const text = request.method === "POST" ? (await request.text()).slice(0, MAX_ACTION_BODY) : "";
      const answer = await core.answer({ method: request.method, url: request.url, headers, body: text });
      if (answer.kind === "response") {
        const { status, headers: responseHeaders, body } = answer.response;
        return new Response(body, { status, headers: responseHeaders });
      }
      const encoder = new TextEncoder();
      let stop: () => void = () => undefined;
      let heartbeat: ReturnType<typeof setInterval> | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          heartbeat = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), HEARTBEAT_MS);
          stop = core.subscribe((chunk) => {
            if (chunk === "") {
              clearInterval(heartbeat);
              controller.close();
            } else controller.enqueue(encoder.encode(chunk));
          });
        },
        cancel() {
          clearInterval(heartbeat);
          stop();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" },
      });
    },
  };
}
