import { bodyAlreadyParsedResponse, type HttpResponse, type WebhookHandler } from "./handler";

/** Reads a web stream keeping at most `limit + 1` bytes, then cancels it: enough for the handler to answer 413. */
async function readStream(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let kept = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, limit + 1 - kept));
    kept += Math.min(value.byteLength, limit + 1 - kept);
    if (kept > limit) {
      await reader.cancel();
      break;
    }
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
    const rawBody = request.body === null ? new Uint8Array(0) : await readStream(request.body, handler.bodyLimit);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return toResponse(await handler({ method: request.method, url: request.url, headers, rawBody }));
  };
}
