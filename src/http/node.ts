import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpResponse, WebhookHandler } from "./handler";

/**
 * Reads a request body keeping at most `limit + 1` bytes: enough for the handler to answer 413, never more in
 * memory. The rest is read and discarded so the client finishes sending and can read that answer.
 */
export async function readBody(stream: AsyncIterable<unknown>, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of stream) {
    const room = limit + 1 - kept;
    if (room <= 0) continue;
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer.length > room ? buffer.subarray(0, room) : buffer);
    kept += Math.min(buffer.length, room);
  }
  return Buffer.concat(chunks, kept);
}

export function writeResponse(res: ServerResponse, response: HttpResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
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
    const send = (response: HttpResponse) => {
      if (res.headersSent || res.destroyed) return;
      options.beforeWrite?.(res);
      writeResponse(res, response);
    };
    readBody(req, handler.bodyLimit)
      .then((rawBody) => handler({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, rawBody }))
      .then(send, () => send(INTERNAL));
  };
}

export interface RunningServer {
  readonly server: Server;
  /** `http://host:port`, with the port actually bound (useful with port 0) */
  readonly url: string;
  readonly port: number;
  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (their connections close after the
   * answer), wait for background work of `immediate` mode, and cut whatever is still open after `graceMs`.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** A plain `node:http` server answering the handler's routes (404 elsewhere); used by `convotic serve`. */
export async function startServer(handler: WebhookHandler, options: { port?: number; host?: string } = {}): Promise<RunningServer> {
  let closing = false;
  const server = createServer(
    toNodeListener(handler, {
      beforeWrite: (res) => {
        if (closing) res.shouldKeepAlive = false;
      },
    }),
  );
  server.on("request", (_req: IncomingMessage, res: ServerResponse) => {
    // a keep-alive connection becomes idle once its answer is out: close it then if we are stopping
    res.on("finish", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    port: address.port,
    url: `http://${host}:${address.port}`,
    async close({ graceMs = 10_000 } = {}) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      await handler.drain();
    },
  };
}
