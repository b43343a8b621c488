import { signRequest, type HeaderMap, type PlatformAdapter } from "../core";

/**
 * Helpers to test your own handlers and adapters with requests a platform would send, as the Stripe CLI's
 * `trigger` and octokit's `sign` do: the exact bytes, signed with a secret you choose.
 */

/** The body as the exact bytes to sign: objects are serialised compactly, as the platforms send them. */
export function rawBodyOf(body: Uint8Array | string | object): Buffer {
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(typeof body === "string" ? body : JSON.stringify(body), "utf8");
}

/** What a signed request may say besides the body: where it goes and its content type. */
export interface SignedHeadersOptions {
  /** the full URL the request is sent to (with its query), for signatures that cover it (Twilio) */
  readonly url?: string;
  /** defaults to the adapter's first `contentTypes` entry, else `application/json` */
  readonly contentType?: string;
}

/**
 * The headers the platform would send with these bytes, content type included. A platform that signs in the query
 * or encrypts the body (WeChat) needs the whole request: use `signedRequest`.
 */
export function signedHeaders<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
  options: SignedHeadersOptions = {},
): Record<string, string> {
  const contentType = options.contentType ?? adapter.contentTypes?.[0] ?? "application/json";
  const signOptions = options.url === undefined ? {} : { url: options.url };
  return { "content-type": contentType, ...adapter.sign(rawBodyOf(body), secrets, signOptions) };
}

/**
 * Signs a body as the platform sends it to `endpoint`: over the block's public URL (with the endpoint's query) when
 * it declares one, else over the endpoint itself. Returns the headers, the body to send (WeChat's safe mode
 * encrypts it) and what signing added to the query (WeChat's signatures), which the request must carry too.
 */
export function signForEndpoint<S>(
  adapter: PlatformAdapter<unknown, S>,
  rawBody: Uint8Array,
  secrets: S,
  endpoint: { readonly href: string; readonly search: string },
  publicUrl?: string,
): { headers: Record<string, string>; rawBody: Uint8Array; addedQuery: string } {
  const signedFor = publicUrl === undefined ? endpoint.href : publicUrl + endpoint.search;
  const signed = signRequest(adapter, rawBody, secrets, { url: signedFor });
  const addedQuery = signed.url?.startsWith(signedFor) === true ? signed.url.slice(signedFor.length) : "";
  return { headers: signed.headers, rawBody: signed.rawBody, addedQuery };
}

/**
 * A request for `createWebhookHandler` (`{method, url, headers, rawBody}`) posting a signed body to a block. The
 * signature covers `http://localhost<path>` (what the handler sees without a `Host` header), or `publicUrl` plus
 * the query when the block configures `public_url`.
 */
export function signedRequest<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
  options: { blockId: string; basePath?: string; query?: string; publicUrl?: string; contentType?: string },
): { method: "POST"; url: string; headers: HeaderMap; rawBody: Buffer } {
  const basePath = (options.basePath ?? "/webhooks").replace(/\/+$/, "");
  const query = options.query === undefined || options.query === "" ? "" : `?${options.query.replace(/^\?/, "")}`;
  const path = `${basePath}/${encodeURIComponent(options.blockId)}${query}`;
  const endpoint = { href: `http://localhost${path}`, search: query };
  const signed = signForEndpoint(adapter, rawBodyOf(body), secrets, endpoint, options.publicUrl);
  const added = signed.addedQuery;
  const contentType = options.contentType ?? adapter.contentTypes?.[0] ?? "application/json";
  return {
    method: "POST",
    url: path + added,
    headers: { "content-type": contentType, ...signed.headers },
    rawBody: Buffer.from(signed.rawBody),
  };
}

/** The same request as a fetch `Request`, for `toFetchHandler` or any fetch-style framework. */
export function signedFetchRequest<S>(
  adapter: PlatformAdapter<unknown, S>,
  body: Uint8Array | string | object,
  secrets: S,
  options: { blockId: string; basePath?: string; origin?: string; query?: string; publicUrl?: string },
): Request {
  const request = signedRequest(adapter, body, secrets, options);
  const url = new URL(request.url, options.origin ?? "http://localhost");
  const headers =
    options.publicUrl === undefined
      ? signedHeaders(adapter, request.rawBody, secrets, { url: url.href })
      : (request.headers as Record<string, string>);
  return new Request(url, { method: "POST", headers, body: new Uint8Array(request.rawBody) });
}
