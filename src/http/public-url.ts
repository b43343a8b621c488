import { headerValue, type HeaderMap } from "../core";

/**
 * The URL a platform called, for signatures that cover it (Twilio signs the URL configured in its console, byte
 * for byte). Behind a TLS-terminating proxy the server sees `http://internal:3000/webhooks/x`, not the
 * `https://hooks.example.com/twilio` the platform signed, so each block says how its public URL is known:
 *
 * - `public_url` (the URL configured at the platform, without its query): used as it is, and the query string
 *   of the request is appended exactly as received (never re-encoded: the signers encode `'`, `+`, `%20` their
 *   own way);
 * - `trust_forwarded: true`: scheme and host from the first `X-Forwarded-Proto` / `X-Forwarded-Host` values, set
 *   by a proxy you run (anyone else could send them, hence opt-in), path and query as received;
 * - neither: the URL as the server sees it (`http://` + `Host` + path and query).
 */
export interface PublicUrlConfig {
  readonly public_url?: string | undefined;
  readonly trust_forwarded?: boolean | undefined;
}

/** A host as a proxy may forward it: a name or an address, with an optional port; anything else is ignored. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function first(headers: HeaderMap, name: string): string | undefined {
  const value = headerValue(headers, name);
  if (value === undefined) return undefined;
  const comma = value.indexOf(",");
  const item = (comma === -1 ? value : value.slice(0, comma)).trim();
  return item === "" ? undefined : item;
}

/** The path and query of a request URL (a path with its query, or an absolute URL), as received. */
function pathAndQuery(url: string): string {
  if (url.startsWith("/")) return url;
  const scheme = url.indexOf("://");
  if (scheme === -1) return `/${url}`;
  const slash = url.indexOf("/", scheme + 3);
  const query = url.indexOf("?", scheme + 3);
  if (slash === -1 || (query !== -1 && query < slash)) return query === -1 ? "/" : `/${url.slice(query)}`;
  return url.slice(slash);
}

/** The query string of a request URL with its `?`, or `""`; a fragment is never part of what was received. */
function queryString(url: string): string {
  const mark = url.indexOf("?");
  if (mark === -1) return "";
  const hash = url.indexOf("#", mark);
  return hash === -1 ? url.slice(mark) : url.slice(mark, hash);
}

/** The URL the platform called for this block (see `PublicUrlConfig`). */
export function publicUrlOf(
  block: PublicUrlConfig,
  request: { readonly url: string; readonly headers: HeaderMap },
): string {
  if (block.public_url !== undefined) return block.public_url + queryString(request.url);
  const absolute = /^https?:\/\//i.test(request.url);
  let scheme = absolute ? request.url.slice(0, request.url.indexOf(":")).toLowerCase() : "http";
  let host = absolute ? undefined : headerValue(request.headers, "host");
  if (block.trust_forwarded === true) {
    const proto = first(request.headers, "x-forwarded-proto")?.toLowerCase();
    if (proto === "http" || proto === "https") scheme = proto;
    const forwarded = first(request.headers, "x-forwarded-host");
    if (forwarded !== undefined && HOST.test(forwarded)) host = forwarded;
  }
  if (host === undefined) {
    if (absolute) {
      const origin = request.url.slice(request.url.indexOf("://") + 3);
      const end = origin.search(/[/?#]/);
      host = end === -1 ? origin : origin.slice(0, end);
    } else host = "localhost";
  }
  return `${scheme}://${host}${pathAndQuery(request.url).replace(/#.*$/, "")}`;
}

/**
 * `public_url` as a block may configure it: an absolute http(s) URL without query or fragment (the received
 * query is appended) and without credentials (Twilio drops `user:pass@` before signing). The problem, or
 * `undefined` when it is fine.
 */
export function publicUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must be an http or https URL";
  if (value.includes("?") || value.includes("#"))
    return "must not carry a query or a fragment: the query the platform sends is appended as received";
  if (url.username !== "" || url.password !== "")
    return "must not carry credentials: the platforms sign the URL without them";
  return undefined;
}
