import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../core";
import { encodingError, unsupportedEncoding } from "./checks";
import { ClientClosedError } from "./errors";
import type { HttpResponse, WebhookHandler } from "./handler";
import { claimFor, readNodeBody } from "./read";

export { readBody, readNodeBody } from "./read";

/**
 * The shared path of the node and Express shims: read within the limits, answer, release the bytes. A request
 * that cannot be read gets one log line (and, unless the client is gone, its answer on a closing connection).
 */
export async function serveNodeRequest(
  handler: WebhookHandler,
  req: IncomingMessage,
  url: string,
  send: (response: HttpResponse, options?: { close?: boolean }) => void,
): Promise<void> {
  const method = req.method ?? "GET";
  // a compressed body is refused before a byte of it is read or held
  // Node lower-cases header names: no `content-encoding` key means none was sent, without a case-blind search
  const codings =
    method === "POST" && req.headers["content-encoding"] !== undefined ? unsupportedEncoding(req.headers) : undefined;
  if (codings !== undefined) {
    send(handler.refuse({ method, url }, encodingError(codings)), { close: true });
    return;
  }
  const claim = claimFor(req, handler.bodyBudget);
  let rawBody: Uint8Array;
  try {
    rawBody = await readNodeBody(req, handler.bodyLimit, handler.bodyBudget, claim);
  } catch (error) {
    const response = handler.refuse({ method, url }, error);
    if (!(error instanceof ClientClosedError)) send(response, { close: true });
    return;
  }
  try {
    send(await handler({ method, url, headers: req.headers, rawBody, remoteAddress: req.socket.remoteAddress }));
  } finally {
    claim.releaseAll();
  }
}

/**
 * One answer with its length known up front: Node then writes the head and the body as one buffer, where
 * `writeHead` without a length made a chunked answer (the body framed in three more pieces and a `writev`).
 * No length for the statuses that must not carry one (1xx, 204, 304; they have no body). The headers go to Node as
 * one flat list of names and values, which it reads without the own-property check per key an object costs, and
 * which is built here instead of a copy of the object with the length added.
 */
export function writeResponse(res: ServerResponse, response: HttpResponse): void {
  const { status, headers, body } = response;
  const flat: string[] = [];
  for (const name of Object.keys(headers)) flat.push(name, headers[name]!);
  if (!(status < 200 || status === 204 || status === 304 || "content-length" in headers))
    flat.push("content-length", String(Buffer.byteLength(body)));
  res.writeHead(status, flat);
  res.end(body);
}

/** What a shim answers when something outside the handler failed (a broken stream, a bug). */
const INTERNAL: HttpResponse = {
  status: 500,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify({ error: { code: "internal_error", message: "internal error" } }),
};

/** A `node:http` request listener over the handler. */
export function toNodeListener(
  handler: WebhookHandler,
  options: { beforeWrite?: (res: ServerResponse) => void } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const send = (response: HttpResponse, { close = false } = {}) => {
      if (res.headersSent || res.destroyed) return;
      options.beforeWrite?.(res);
      if (close) closeAfter(req, res);
      writeResponse(res, response);
    };
    serveNodeRequest(handler, req, req.url ?? "/", send).catch(() => send(INTERNAL));
  };
}

/** An answer given before the body was read: the connection closes after it, so the rest is never read. */
export function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
  res.setHeader("connection", "close");
  res.once("finish", () => req.socket.destroySoon());
}

/** Explicit limits for the node server instead of Node's defaults (60 s for headers, 300 s per request). */
export interface ServerTimeouts {
  /** time to receive the request headers; default 10 s */
  readonly headersTimeoutMs?: number;
  /** time to receive the whole request (headers and body); default 30 s */
  readonly requestTimeoutMs?: number;
  /** how long an idle keep-alive connection stays open; default 5 s */
  readonly keepAliveTimeoutMs?: number;
}

export const DEFAULT_SERVER_TIMEOUTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
} as const;

export interface RunningServer {
  readonly server: Server;
  /** `http://host:port`, with the port actually bound (useful with port 0) */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (their connections close after the
   * answer), wait for background work of `immediate` mode, and give up on whatever still runs after `graceMs`
   * (default 10 s). Resolves with what was abandoned, so the caller can say so and exit non-zero.
   */
  close(options?: { graceMs?: number }): Promise<ShutdownReport>;
}

/** What a graceful stop gave up on when its grace period ended. */
export interface ShutdownReport {
  /** requests still unanswered: their connections were cut */
  readonly requests: number;
  /** `immediate`-mode background tasks still running */
  readonly background: number;
}

/**
 * A plain `node:http` server answering the handler's routes (404 elsewhere); used by `convotic serve`. `intercept`
 * may answer a request itself first (returning true): serve's `--inspect` page lives there.
 */
export async function startServer(
  handler: WebhookHandler,
  options: {
    port?: number;
    host?: string;
    timeouts?: ServerTimeouts;
    intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Promise<RunningServer> {
  let closing = false;
  const given = options.timeouts ?? {};
  const requestTimeoutMs = given.requestTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout; the default follows a shorter request timeout
  const headersTimeoutMs =
    given.headersTimeoutMs ?? Math.min(DEFAULT_SERVER_TIMEOUTS.headersTimeoutMs, requestTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `the headers timeout (${headersTimeoutMs} ms) must not exceed the request timeout (${requestTimeoutMs} ms)`,
    );
  }
  const timeouts = {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: given.keepAliveTimeoutMs ?? DEFAULT_SERVER_TIMEOUTS.keepAliveTimeoutMs,
  };
  let unanswered = 0;
  const listener = toNodeListener(handler, {
    beforeWrite: (res) => {
      if (closing) res.shouldKeepAlive = false;
    },
  });
  const { intercept } = options;
  const serve =
    intercept === undefined
      ? listener
      : (req: IncomingMessage, res: ServerResponse) => void (intercept(req, res) || listener(req, res));
  // 'close' follows 'finish' (a tick later) once the answer is out: a keep-alive connection is idle then, so it is
  // closed if we are stopping. One function for every request, not one per request or per event.
  const answered = () => {
    unanswered -= 1;
    if (closing) setImmediate(() => server.closeIdleConnections());
  };
  const server = createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this interval (30 s by default, which would stretch them)
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(timeouts.headersTimeoutMs / 2))),
    },
    // the counting in the one 'request' listener: a second listener made every request's emit copy the list
    (req, res) => {
      unanswered += 1;
      res.on("close", answered);
      serve(req, res);
    },
  );
  const { port, url } = await listenOn(server, options.port, options.host);
  return {
    server,
    port,
    url,
    async close({ graceMs = 10_000 } = {}) {
      closing = true;
      const ends = Date.now() + graceMs;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let requests = 0;
      const timer = setTimeout(() => {
        requests = unanswered;
        server.closeAllConnections();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      const background = await handler.drain(AbortSignal.timeout(Math.max(0, ends - Date.now())));
      return { requests, background };
    },
  };
}

/** Listens (port 0: any free port; host default 127.0.0.1) and resolves with the address as a URL. */
export async function listenOn(server: Server, port = 0, host = "127.0.0.1"): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { port: address.port, url: `http://${shown}:${address.port}` };
}
