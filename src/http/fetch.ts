import type { BodyClaim } from "./budget";
import { encodingError, unsupportedEncoding } from "./checks";
import { BusyError, ClientClosedError } from "./errors";
import { bodyAlreadyParsedResponse, type HttpResponse, type WebhookHandler } from "./handler";

/**
 * Reads a web stream keeping at most `limit + 1` bytes, then cancels it: enough for the handler to answer 413.
 * What it keeps is taken by `claim` (the caller releases it); past the budget it cancels and throws
 * `BusyError`, and a stream that breaks (the client went away) is a `ClientClosedError`.
 */
async function readStream(stream: ReadableStream<Uint8Array>, limit: number, claim: BodyClaim): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let received = 0;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch {
        throw new ClientClosedError(received);
      }
      if (next.done) break;
      const { value } = next;
      received += value.byteLength;
      const piece = value.subarray(0, limit + 1 - kept);
      const refused = claim.take(piece.byteLength);
      if (refused !== undefined) throw new BusyError(1, refused);
      chunks.push(piece);
      kept += piece.byteLength;
      if (kept > limit) {
        await reader.cancel();
        break;
      }
    }
  } catch (error) {
    claim.releaseAll();
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  const body = new Uint8Array(kept);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

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
    if (request.bodyUsed) return toResponse(bodyAlreadyParsedResponse());
    const codings = request.method === "POST" ? (unsupportedEncoding({ "content-encoding": request.headers.get("content-encoding") ?? undefined })) : undefined;
    if (codings !== undefined) return toResponse(handler.refuse({ method: request.method, url: request.url }, encodingError(codings)));
    // a fetch Request carries no remote address: the per-address share does not apply here
    const length = Number(request.headers.get("content-length") ?? Number.NaN);
    const claim = handler.bodyBudget.claim({ declaredLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined });
    let rawBody: Uint8Array;
    try {
      rawBody = request.body === null ? new Uint8Array(0) : await readStream(request.body, handler.bodyLimit, claim);
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
