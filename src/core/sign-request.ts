import type { PlatformAdapter, SignedRequest, SignOptions } from "./adapter";

/**
 * The request a platform would send with these bytes: the adapter's own `signRequest` when it has one (WeChat
 * signs in the query and may encrypt the body), otherwise the given bytes and URL with `sign`'s headers.
 */
export function signRequest<S>(
  adapter: PlatformAdapter<unknown, S>,
  rawBody: Uint8Array,
  secrets: S,
  options: SignOptions = {},
): SignedRequest {
  if (adapter.signRequest !== undefined) return adapter.signRequest(rawBody, secrets, options);
  return { headers: adapter.sign(rawBody, secrets, options), url: options.url, rawBody };
}

/** `url` with `query` appended (after its own query, before any fragment); `?query` alone when there is no URL. */
export function withQuery(url: string | undefined, query: URLSearchParams): string {
  const added = query.toString();
  if (url === undefined) return `?${added}`;
  const hash = url.indexOf("#");
  const [base, fragment] = hash === -1 ? [url, ""] : [url.slice(0, hash), url.slice(hash)];
  if (added === "") return url;
  return `${base}${base.includes("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?"}${added}${fragment}`;
}
