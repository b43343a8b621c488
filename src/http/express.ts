import type { NextFunction, Request, RequestHandler, Response } from "express";
import { bodyAlreadyParsedResponse, type WebhookHandler } from "./handler";
import { readBody, writeResponse } from "./node";

/**
 * Express 5 middleware over the handler: `app.use(convoticExpress(handler))`. It answers only under the
 * handler's `basePath` (calling `next()` elsewhere) and reads the raw stream itself, so `express.json()` on other
 * routes does not matter. A body another parser already consumed cannot be verified any more: that is a 500
 * `body_already_parsed` naming the fix, not a confusing 401. Bytes kept by `express.raw()` are used as they are.
 */
export function convoticExpress(handler: WebhookHandler): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!handler.matches(req.originalUrl)) return next();
    const parsed: unknown = req.body;
    let rawBody: Uint8Array;
    if (parsed instanceof Uint8Array) rawBody = parsed;
    else if (parsed !== undefined || req.readableEnded) return writeResponse(res, bodyAlreadyParsedResponse());
    else rawBody = await readBody(req, handler.bodyLimit);
    const response = await handler({ method: req.method, url: req.originalUrl, headers: req.headers, rawBody });
    writeResponse(res, response);
  };
}
