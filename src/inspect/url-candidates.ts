import { headerValue, type HeaderMap } from "../core";
import { publicUrlOf, type PublicUrlConfig } from "../http/public-url";
import type { Explanation } from "./explanation";

/** What `rewrittenUrl` reads of a diagnosis's input. */
export interface UrlDiagnosisInput {
  readonly platform: string;
  readonly route: string;
  readonly request: { readonly headers: HeaderMap };
  readonly publicUrl?: PublicUrlConfig | undefined;
}

/*
 * The URLs a platform may have signed when a signature covers the URL (Twilio's) and the one the block verifies with
 * did not match: what a proxy in between may have changed (the scheme, the host, the port, the path, the query).
 * Built from what the request itself carries (Host, X-Forwarded-*, Forwarded) and the block's `public_url`; nothing
 * here knows a platform.
 */

/** One URL to try, with what it changes compared with the URL the block verified with. */
export interface UrlCandidate {
  readonly url: string;
  /** e.g. `https instead of http`, `host from X-Forwarded-Host` */
  readonly changes: readonly string[];
  /** its scheme or host came from forwarding headers the block does not trust */
  readonly forwarded: boolean;
  /** the query string as received was left out */
  readonly withoutQuery: boolean;
}

interface Origin {
  readonly scheme: string;
  readonly host: string;
  readonly how: readonly string[];
  readonly forwarded: boolean;
}

const ABSOLUTE = /^(https?):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?/i;

function split(url: string): { scheme: string; host: string; path: string; query: string } | undefined {
  const match = ABSOLUTE.exec(url);
  if (match === null) return undefined;
  return { scheme: match[1]!.toLowerCase(), host: match[2]!, path: match[3] || "/", query: match[4] ?? "" };
}

function first(headers: HeaderMap, name: string): string | undefined {
  const value = headerValue(headers, name)?.split(",")[0]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** `host=` and `proto=` of the first element of an RFC 7239 `Forwarded` header. */
function forwardedHeader(headers: HeaderMap): { host?: string; proto?: string } {
  const element = first(headers, "forwarded");
  if (element === undefined) return {};
  const out: { host?: string; proto?: string } = {};
  for (const pair of element.split(";")) {
    const [name, raw] = pair.split("=", 2).map((part) => part.trim());
    const value = raw?.replace(/^"|"$/g, "");
    if (value === undefined || value === "") continue;
    if (name?.toLowerCase() === "host") out.host = value;
    if (name?.toLowerCase() === "proto") out.proto = value.toLowerCase();
  }
  return out;
}

/** A host with the scheme's default port written out, and without any port. */
function hostVariants(scheme: string, host: string): { host: string; how?: string }[] {
  const port = /:(\d+)$/.exec(host);
  const bare = port === null ? host : host.slice(0, port.index);
  const standard = scheme === "https" ? "443" : "80";
  const variants: { host: string; how?: string }[] = [{ host }];
  if (port === null) variants.push({ host: `${host}:${standard}`, how: `port ${standard} written out` });
  else variants.push({ host: bare, how: `without port ${port[1]}` });
  return variants;
}

/**
 * The URLs to try, most likely first: the origins the request names (Host, X-Forwarded-Proto/Host, Forwarded,
 * `public_url`'s) with either scheme and port written or not, the received path and `public_url`'s, with and
 * without the query as received. The URL already verified is left out.
 */
export function urlCandidates(
  received: string,
  headers: HeaderMap,
  config: PublicUrlConfig,
  verifiedWith: string,
): UrlCandidate[] {
  const seen = split(publicUrlOf({}, { url: received, headers }));
  if (seen === undefined) return [];
  const origins: Origin[] = [
    { scheme: seen.scheme, host: seen.host, how: ["host from the Host header"], forwarded: false },
  ];
  const proto = first(headers, "x-forwarded-proto")?.toLowerCase();
  const xhost = first(headers, "x-forwarded-host");
  if (proto !== undefined || xhost !== undefined) {
    const how = [proto === undefined ? "" : "X-Forwarded-Proto", xhost === undefined ? "" : "X-Forwarded-Host"];
    origins.unshift({
      scheme: proto === "http" || proto === "https" ? proto : seen.scheme,
      host: xhost ?? seen.host,
      how: [
        `${proto !== undefined && xhost !== undefined ? "scheme and host" : proto !== undefined ? "scheme" : "host"} from ${how.filter((part) => part !== "").join(" and ")}`,
      ],
      forwarded: true,
    });
  }
  const rfc = forwardedHeader(headers);
  if (rfc.host !== undefined || rfc.proto !== undefined)
    origins.unshift({
      scheme: rfc.proto === "http" || rfc.proto === "https" ? rfc.proto : seen.scheme,
      host: rfc.host ?? seen.host,
      how: ["scheme and host from the Forwarded header"],
      forwarded: true,
    });
  const configured = config.public_url === undefined ? undefined : split(config.public_url);
  if (configured !== undefined)
    origins.push({ scheme: configured.scheme, host: configured.host, how: ["host from public_url"], forwarded: false });
  const paths = [{ path: seen.path, how: undefined as string | undefined }];
  if (configured !== undefined && configured.path !== seen.path)
    paths.push({ path: configured.path, how: "public_url's path" });

  const out: UrlCandidate[] = [];
  const tried = new Set<string>([verifiedWith]);
  const add = (url: string, changes: string[], forwarded: boolean, withoutQuery: boolean) => {
    if (tried.has(url)) return;
    tried.add(url);
    out.push({ url, changes: changes.filter((change) => change !== ""), forwarded, withoutQuery });
  };
  for (const withoutQuery of seen.query === "" ? [false] : [false, true]) {
    for (const origin of origins) {
      for (const scheme of [origin.scheme, origin.scheme === "https" ? "http" : "https"]) {
        for (const variant of hostVariants(scheme, origin.host)) {
          for (const { path, how } of paths) {
            add(
              `${scheme}://${variant.host}${path}${withoutQuery ? "" : seen.query}`,
              [
                scheme === origin.scheme ? "" : `${scheme} instead of ${origin.scheme}`,
                ...origin.how,
                variant.how ?? "",
                how ?? "",
                withoutQuery ? "without the query string" : "",
              ],
              origin.forwarded,
              withoutQuery,
            );
          }
        }
      }
    }
  }
  return out;
}

/**
 * The URL the platform signed, when it is not the one the route verified with: a proxy changed the scheme, the
 * host, the port, the path or the query on the way (docs/http.md "Public URL" says how a block knows its URL).
 */
export function rewrittenUrl(
  input: UrlDiagnosisInput,
  received: string,
  verifiedWith: string,
  verifies: (url: string) => boolean,
): Explanation | undefined {
  const config = input.publicUrl ?? {};
  const match = urlCandidates(received, input.request.headers, config, verifiedWith).find((candidate) =>
    verifies(candidate.url),
  );
  if (match === undefined) return undefined;
  const bare = match.url.replace(/[?#].*$/, "");
  const message =
    `${input.platform} signed ${match.url} (${match.changes.join(", ")}), but ${input.route} verifies with ` +
    `${verifiedWith}: a proxy rewrote the URL or the scheme`;
  const docs = ' (docs/http.md, "Public URL")';
  if (match.withoutQuery)
    return {
      kind: "url_rewritten",
      message,
      fix:
        `${input.platform} signed the URL without the query string this server received: remove what adds it on ` +
        `the way (a proxy or a tunnel), since the query is verified as received${docs}`,
    };
  if (config.public_url !== undefined)
    return {
      kind: "url_rewritten",
      message,
      fix: `${input.route} has public_url "${config.public_url}": set it to "${bare}", the URL ${input.platform} calls${docs}`,
    };
  if (match.forwarded)
    return {
      kind: "url_rewritten",
      message,
      fix:
        `set trust_forwarded: true on ${input.route} (only behind a proxy you run that overwrites the forwarding ` +
        `headers), or set its public_url to "${bare}"${docs}`,
    };
  return {
    kind: "url_rewritten",
    message,
    fix: `set public_url of ${input.route} to "${bare}", the URL ${input.platform} calls${docs}`,
  };
}
