import type { HeaderMap, PlatformAdapter } from "../core";

/**
 * Helpers to test your own handlers and adapters with requests a platform would send, as the Stripe CLI's
 * `trigger` and octokit's `sign` do: the exact bytes, signed with a secret you choose.
 */

/** The body as the exact bytes to sign: objects are serialised compactly, as the platforms send them. */
export function rawBodyOf(body: Uint8Array | string | object): Buffer {
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
}

/** The headers the platform would send with these bytes, content type included. */
export function signedHeaders<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
): Record<string, string> {
  return { "content-type": "application/json", ...adapter.sign(rawBodyOf(body), secrets) };
}

/** A request for `createWebhookHandler` (`{method, url, headers, rawBody}`) posting a signed body to a block. */
export function signedRequest<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
  options: { blockId: string; basePath?: string },
): { method: "POST"; url: string; headers: HeaderMap; rawBody: Buffer } {
  const rawBody = rawBodyOf(body);
  const basePath = (options.basePath ?? "/webhooks").replace(/\/+$/, "");
  return {
    method: "POST",
    url: `${basePath}/${encodeURIComponent(options.blockId)}`,
    headers: signedHeaders(adapter, rawBody, secrets),
    rawBody,
  };
}

/** The same request as a fetch `Request`, for `toFetchHandler` or any fetch-style framework. */
export function signedFetchRequest<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
  options: { blockId: string; basePath?: string; origin?: string },
): Request {
  const request = signedRequest(adapter, body, secrets, options);
  return new Request(new URL(request.url, options.origin ?? "http://localhost"), {
    method: "POST",
    headers: request.headers as Record<string, string>,
    body: new Uint8Array(request.rawBody),
  });
}
