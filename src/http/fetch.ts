import { encodingError, unsupportedEncoding } from "./checks";
import type { HttpResponse, WebhookHandler } from "./handler";
import { bodyAlreadyParsedError } from "./responses";
import { readWebBody } from "./read";

function toResponse(response: HttpResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/**
 * The handler as a standard `(Request) => Promise<Response>`, for Hono (`c.req.raw`), Next.js route handlers,
 * Bun, Deno and workers. The body is read from `request.body` here; a request whose body was already read
 * (`await request.json()` upstream) gets the 500 `body_already_parsed` answer.
 */
export function toFetchHandler(handler: WebhookHandler): (request: Request) => Promise<Response> {
  return async (request) => {
    // refused through the handler, so the 500 is logged like every other answer
    if (request.bodyUsed)
      return toResponse(handler.refuse({ method: request.method, url: request.url }, bodyAlreadyParsedError()));
    const codings =
      request.method === "POST"
        ? unsupportedEncoding({ "content-encoding": request.headers.get("content-encoding") ?? undefined })
        : undefined;
    if (codings !== undefined)
      return toResponse(handler.refuse({ method: request.method, url: request.url }, encodingError(codings)));
    // a fetch Request carries no remote address: the per-address share does not apply here
    const length = Number(request.headers.get("content-length") ?? Number.NaN);
    const claim = handler.bodyBudget.claim({
      declaredLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
    });
    let rawBody: Uint8Array;
    try {
      rawBody = request.body === null ? new Uint8Array(0) : await readWebBody(request.body, handler.bodyLimit, claim);
    } catch (error) {
      return toResponse(handler.refuse({ method: request.method, url: request.url }, error));
    }
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      return toResponse(await handler({ method: request.method, url: request.url, headers, rawBody }));
    } finally {
      claim.releaseAll();
    }
  };
}
