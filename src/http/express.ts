import type { IncomingMessage, ServerResponse } from "node:http";
import type { WebhookHandler } from "./handler";
import { bodyAlreadyParsedError } from "./responses";
import type { HttpResponse } from "./handler";
import { closeAfter, serveNodeRequest, writeResponse } from "./node";

/** The part of Express's request the shim uses; typed structurally so express is not a type dependency. */
type ExpressRequest = IncomingMessage & { readonly originalUrl: string; readonly body?: unknown };

/**
 * Express 5 middleware over the handler: `app.use(convoticExpress(handler))`. It answers only under the
 * handler's `basePath` (calling `next()` elsewhere) and reads the raw stream itself, so `express.json()` on other
 * routes does not matter. A body another parser already consumed cannot be verified any more: that is a 500
 * `body_already_parsed` naming the fix, not a confusing 401. Bytes kept by `express.raw()` are used as they are.
 */
export function convoticExpress(handler: WebhookHandler) {
  return async (req: ExpressRequest, res: ServerResponse, next: (error?: unknown) => void): Promise<void> => {
    if (!handler.matches(req.originalUrl)) return next();
    const parsed = req.body;
    const send = (response: HttpResponse, { close = false } = {}) => {
      if (res.headersSent || res.destroyed) return;
      if (close) closeAfter(req, res);
      writeResponse(res, response);
    };
    if (parsed instanceof Uint8Array) {
      send(await handler({ method: req.method ?? "GET", url: req.originalUrl, headers: req.headers, rawBody: parsed }));
    } else if (parsed !== undefined || req.readableEnded) {
      // refused through the handler, so the 500 is logged like every other answer
      send(handler.refuse({ method: req.method ?? "GET", url: req.originalUrl }, bodyAlreadyParsedError()));
    } else {
      // a client that goes away mid-body is one log line here, not an `Error: aborted` stack from Express
      await serveNodeRequest(handler, req, req.originalUrl, send);
    }
  };
}
