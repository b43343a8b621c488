import { createServer, type Server } from "node:http";
import { writeResponse } from "../http";
import { listenOn } from "../http/node";
import type { ObservedHandler } from "./ops";

const NOT_FOUND = {
  status: 404,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify({
    error: { code: "not_found", message: "this listener serves /healthz, /readyz and /metrics" },
  }),
};

export interface RunningOpsServer {
  readonly server: Server;
  /** `http://host:port`, with the port actually bound */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `/healthz`, `/readyz` and `/metrics` on a listener of their own, so a public deployment exposes its webhook routes
 * only and keeps the operations routes on an internal address (pass `opsRoutes: false` to `observeHandler` so the
 * public listener answers 404 there). It reads no bodies and answers GET and HEAD; anything else is 404 or 405.
 */
export async function startOpsServer(
  handler: Pick<ObservedHandler, "answerOps">,
  options: { host?: string; port?: number } = {},
): Promise<RunningOpsServer> {
  const server = createServer(
    { headersTimeout: 5_000, requestTimeout: 10_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      // a body is never read here: discard it so the connection can answer
      req.resume();
      const answer = handler.answerOps(req.url ?? "/", req.method ?? "GET");
      if (answer === undefined) return writeResponse(res, NOT_FOUND);
      answer.then(
        (response) => writeResponse(res, response),
        () =>
          writeResponse(res, {
            status: 500,
            headers: { "content-type": "application/json; charset=utf-8" },
            body: JSON.stringify({ error: { code: "internal_error", message: "internal error" } }),
          }),
      );
    },
  );
  const { url } = await listenOn(server, options.port, options.host);
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
