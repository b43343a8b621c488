import { headerValue, messageOf, queryOf, type HeaderMap, type Normalizer } from "../core";
import { publicUrlOf, type PublicUrlConfig } from "../http/public-url";
import type { Explanation } from "./explanation";
import { rewrittenUrl } from "./url-candidates";

/*
 * Why a signature failed, found by re-checking what is cheap to check with the adapters' own `verify`: other
 * header names, other renderings of the same JSON, other configured secrets, the clock. Nothing here knows a
 * platform: the header names come from the adapter's `sign`, the secrets from the configured blocks. Secrets are
 * only ever passed to `verify`; no explanation quotes one.
 */

export type { Explanation, ExplanationKind } from "./explanation";

/** A configured block whose secrets may be the ones that signed the request. */
export interface CandidateBlock {
  readonly id: string;
  readonly platform: string;
  /** tried with `verify` only; never shown */
  readonly secrets: unknown;
  /** how the block knows its public URL (`public_url`, `trust_forwarded`), for signatures that cover the URL */
  readonly publicUrl?: PublicUrlConfig;
}

export interface DiagnosisInput {
  /** whose adapters verify and sign */
  readonly normalizer: Normalizer;
  /** the platform of the route the request was sent to */
  readonly platform: string;
  /** the secrets of that route (a block's, or a shared route's app) */
  readonly secrets: unknown;
  /** how the route is named in the explanations, e.g. `block line-demo` */
  readonly route: string;
  /**
   * the refused request, as received; `url` (the path and query, or an absolute URL) is needed to explain a
   * signature that covers the URL
   */
  readonly request: { readonly rawBody: Uint8Array; readonly headers: HeaderMap; readonly url?: string };
  /** how the route's block knows its public URL (`public_url`, `trust_forwarded`; docs/http.md "Public URL") */
  readonly publicUrl?: PublicUrlConfig;
  /** every other configured block */
  readonly others: readonly CandidateBlock[];
  /** the clock timestamp headers are compared with */
  readonly now: Date;
}

export interface Diagnosis {
  /** what the adapter's own check said */
  readonly said: string;
  /** the findings, most specific first; `no_match` when nothing matched */
  readonly explanations: readonly Explanation[];
}

/** Verifications one diagnosis may run at most, so a config with hundreds of blocks stays cheap. */
const MAX_ATTEMPTS = 300;
/** How far a sender's timestamp may be from this clock before it is worth mentioning (seconds). */
const SKEW_TOLERANCE_S = 300;

const RESERIALISED_FIX =
  "give convotic the exact bytes received: mount it before any body parser (express.json(), bodyParser), or use " +
  "express.raw() for its route; in a fetch app do not read request.json() or request.text() before it";

/**
 * Why a request's signature failed: each cheap re-check that matched, with the fix it implies. At most 300
 * verifications, whatever the number of blocks.
 */
export function diagnoseSignature(input: DiagnosisInput): Diagnosis {
  const { normalizer, platform } = input;
  const received = input.request.url;
  // the URL the handler verified with, as it builds it from the block's configuration
  const urlFor = (config: PublicUrlConfig | undefined): string | undefined =>
    received === undefined ? undefined : publicUrlOf(config ?? {}, { url: received, headers: input.request.headers });
  const verifiedWith = urlFor(input.publicUrl);
  const at = (url: string | undefined) => ({ url, query: queryOf(url) });
  const request = { rawBody: input.request.rawBody, headers: input.request.headers, ...at(verifiedWith) };
  type Attempt = typeof request;
  let attempts = 0;
  const verifies = (on: string, req: Attempt, secrets: unknown): boolean => {
    if (attempts >= MAX_ATTEMPTS) return false;
    attempts += 1;
    try {
      normalizer.verify(on, req, secrets);
      return true;
    } catch {
      return false;
    }
  };
  let said = "";
  // whether the adapter reads the URL at all: only then are other URLs worth trying (the query is given apart)
  let readsUrl = false;
  try {
    normalizer.verify(
      platform,
      {
        rawBody: request.rawBody,
        headers: request.headers,
        query: request.query,
        get url() {
          readsUrl = true;
          return verifiedWith;
        },
      },
      input.secrets,
    );
  } catch (error) {
    said = messageOf(error);
  }
  if (said === "") {
    return {
      said: "the request verifies with the route's secrets now",
      explanations: [
        {
          kind: "verifies_now",
          message: `the stored request verifies with the secrets ${input.route} has now`,
          fix: "the secrets changed since it arrived (a restart with another configuration), or it was refused for another reason",
        },
      ],
    };
  }

  const explanations: Explanation[] = [];
  const expected = signatureHeaders(normalizer, platform, request.rawBody, input.secrets, verifiedWith);
  const missing = expected.filter((name) => headerValue(request.headers, name) === undefined);
  for (const name of missing) {
    const similar = similarHeaders(request.headers, name, expected);
    if (similar.length === 0) {
      explanations.push({
        kind: "no_signature_header",
        message: `the request has no ${name} header, which ${platform} sends with every webhook`,
        fix:
          `send requests from ${platform} itself, or sign test requests as it does (the inspector's "copy as curl", ` +
          "convotic replay --to); a proxy in front may also be dropping the header",
      });
      continue;
    }
    const renamed = similar.find((other) =>
      verifies(
        platform,
        { ...request, headers: { ...request.headers, [name]: headerValue(request.headers, other) } },
        input.secrets,
      ),
    );
    explanations.push({
      kind: "wrong_header_name",
      message:
        renamed === undefined
          ? `no ${name} header, but a similarly named ${similar.join(", ")} is present`
          : `no ${name} header, but ${renamed} carries a valid signature: only its name is wrong`,
      fix: `send the signature in ${name} (a proxy or a test client renamed the header, or the client signs for another scheme)`,
    });
  }

  if (missing.length === 0) {
    const text = Buffer.from(request.rawBody).toString("utf8");
    for (const candidate of bodyCandidates(text)) {
      const rawBody = Buffer.from(candidate.text, "utf8");
      if (verifies(platform, { ...request, rawBody }, input.secrets)) {
        explanations.push(candidate.explanation);
        break;
      }
    }
  }

  if (missing.length === 0 && readsUrl && received !== undefined && verifiedWith !== undefined) {
    const found = rewrittenUrl(input, received, verifiedWith, (url) =>
      verifies(platform, { ...request, ...at(url) }, input.secrets),
    );
    if (found !== undefined) explanations.push(found);
  }

  for (const other of input.others) {
    if (attempts >= MAX_ATTEMPTS) break;
    const theirs = { ...request, ...at(urlFor(other.publicUrl)) };
    if (other.platform === platform) {
      if (verifies(platform, theirs, other.secrets))
        explanations.push({
          kind: "wrong_secret",
          message: `wrong secret for this route: block ${other.id}'s secret matches`,
          fix: `post to block ${other.id}'s route, or configure ${input.route} with the secret the sender signs with`,
        });
      continue;
    }
    if (verifies(other.platform, theirs, other.secrets)) {
      explanations.push({
        kind: "wrong_route",
        message: `the request is signed as ${other.platform} block ${other.id} expects: it was sent to the wrong route`,
        fix: `point the ${other.platform} webhook at block ${other.id}'s route, not at ${input.route}`,
      });
      continue;
    }
    for (const secrets of substituted(input.secrets, stringsOf(other.secrets))) {
      if (verifies(platform, request, secrets)) {
        explanations.push({
          kind: "wrong_secret",
          message: `wrong secret for this route: block ${other.id}'s (${other.platform}) secret matches`,
          fix: `configure ${input.route} with its own secret; the value it was signed with belongs to block ${other.id}`,
        });
        break;
      }
    }
  }

  const skew = clockSkew(request.headers, input.now);
  if (skew !== undefined) explanations.push(skew);

  if (explanations.length === 0) {
    explanations.push({
      kind: "no_match",
      message:
        `the signature matches neither the secrets of ${input.route}, nor any other configured block's, nor the body ` +
        "re-serialised as JSON",
      fix:
        "compare the block's secrets with the platform's console (the secret that signs its webhooks); after a " +
        "rotation, list the old and the new secret side by side",
    });
  }
  return { said, explanations };
}

/** The header names the platform's signature travels in, learnt from the adapter's own `sign`. */
function signatureHeaders(
  normalizer: Normalizer,
  platform: string,
  rawBody: Uint8Array,
  secrets: unknown,
  url: string | undefined,
): string[] {
  try {
    // an adapter whose signature covers the URL signs nothing without it
    const headers = normalizer.adapterFor(platform).sign(rawBody, secrets, url === undefined ? undefined : { url });
    return Object.keys(headers)
      .map((name) => name.toLowerCase())
      .filter((name) => name !== "content-type");
  } catch {
    return [];
  }
}

/** A header name without case, an `x-` prefix and separators: `X_Hub_Signature` and `hub-signature` meet. */
function bare(name: string): string {
  return name
    .toLowerCase()
    .replace(/^x-/, "")
    .replace(/[^a-z0-9]/g, "");
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Headers present whose names look like the expected one (or like any signature header). */
function similarHeaders(headers: HeaderMap, expected: string, known: readonly string[]): string[] {
  const want = bare(expected);
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => !known.includes(name) && headerValue(headers, name) !== undefined)
    .filter((name) => {
      const have = bare(name);
      if (have === "") return false;
      return (
        have === want ||
        have.includes(want) ||
        want.includes(have) ||
        distance(have, want) <= 3 ||
        /signature|sign$|secret|token|hmac/.test(have)
      );
    });
}

/** Other renderings of the same JSON, each with what it means when the signature matches it. */
function bodyCandidates(text: string): { text: string; explanation: Explanation }[] {
  const candidates: { text: string; explanation: Explanation }[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const reserialised = (how: string): Explanation => ({
    kind: "body_reserialised",
    message: `the signature matches the body re-serialised as JSON (${how}): a body parser ran before convotic and the bytes it got were rebuilt from the parsed object`,
    fix: RESERIALISED_FIX,
  });
  const escaped: Explanation = {
    kind: "non_ascii_unescaped",
    message:
      "the signature matches the body with its non-ASCII characters escaped as \\uXXXX, the way Meta sends them: " +
      "the body was decoded and re-encoded on its way, and the escapes became UTF-8",
    fix: `${RESERIALISED_FIX}; a proxy or logging middleware must pass the body through unchanged`,
  };
  const unescaped: Explanation = {
    kind: "non_ascii_escaped",
    message:
      "the signature matches the body with its \\uXXXX escapes decoded to UTF-8: something between the sender and " +
      "convotic escaped the non-ASCII characters the sender signed as UTF-8",
    fix: "pass the body through unchanged (no re-encoding JSON middleware or proxy in front of the webhook route)",
  };
  for (const variant of [escapeNonAscii(text, false), escapeNonAscii(text, true), escapeNonAscii(text, false, true)]) {
    candidates.push({ text: variant, explanation: escaped });
  }
  // the parsed body as Meta renders it; only when that differs from plain re-serialising (non-ASCII or slashes)
  if (parsed !== undefined) {
    const compact = JSON.stringify(parsed);
    const metaStyle = escapeNonAscii(compact, false, true);
    if (metaStyle !== compact) candidates.push({ text: metaStyle, explanation: escaped });
  }
  candidates.push({ text: unescapeNonAscii(text), explanation: unescaped });
  // after the escapes: re-serialising also decodes them, and the narrower explanation is the more useful one
  if (parsed !== undefined) {
    const compact = JSON.stringify(parsed);
    candidates.push({ text: compact, explanation: reserialised("JSON.stringify of the parsed body") });
    candidates.push({ text: JSON.stringify(parsed, null, 2), explanation: reserialised("with 2-space indentation") });
  }
  const seen = new Set<string>([text]);
  return candidates.filter((candidate) => {
    if (seen.has(candidate.text)) return false;
    seen.add(candidate.text);
    return true;
  });
}

/** Every UTF-16 unit above 0x7F as `\uXXXX` (Meta writes lower-case hex and `\/`). */
export function escapeNonAscii(text: string, upper: boolean, slashes = false): string {
  let out = "";
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit > 0x7f) {
      const hex = unit.toString(16).padStart(4, "0");
      out += `\\u${upper ? hex.toUpperCase() : hex}`;
    } else if (slashes && unit === 0x2f) out += "\\/";
    else out += text[index];
  }
  return out;
}

/** The reverse: `\uXXXX` escapes of non-ASCII units (and `\/`) back to the characters; `\\u…` stays as it is. */
export function unescapeNonAscii(text: string): string {
  return text.replace(/\\(\\|\/|u([0-9a-fA-F]{4}))/g, (match, what: string, hex: string | undefined) => {
    if (what === "\\") return match;
    if (what === "/") return "/";
    const unit = parseInt(hex!, 16);
    return unit > 0x7f ? String.fromCharCode(unit) : match;
  });
}

/** The string values of a secrets object (where they sit does not matter: the candidates are tried everywhere). */
function stringsOf(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, into);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) stringsOf(item, into);
  return into;
}

/** The route's secrets with one string (or list of strings) replaced by each candidate in turn. */
function* substituted(secrets: unknown, candidates: readonly string[]): Generator<unknown> {
  if (secrets === null || typeof secrets !== "object" || Array.isArray(secrets)) return;
  for (const [key, value] of Object.entries(secrets)) {
    const isList = Array.isArray(value) && value.every((item) => typeof item === "string");
    if (typeof value !== "string" && !isList) continue;
    for (const candidate of new Set(candidates)) {
      yield { ...(secrets as Record<string, unknown>), [key]: isList ? [candidate] : candidate };
    }
  }
}

/** A timestamp header far from this clock: a timestamped scheme refuses it whatever the signature. */
function clockSkew(headers: HeaderMap, now: Date): Explanation | undefined {
  for (const name of Object.keys(headers)) {
    if (!/timestamp/i.test(name)) continue;
    const value = headerValue(headers, name);
    if (value === undefined || !/^\d{9,13}$/.test(value.trim())) continue;
    const number = Number(value.trim());
    const seconds = number > 1e11 ? number / 1000 : number;
    const skew = Math.round(now.getTime() / 1000 - seconds);
    if (Math.abs(skew) <= SKEW_TOLERANCE_S) continue;
    return {
      kind: "clock_skew",
      message: `the ${name.toLowerCase()} header is ${Math.abs(skew)} s ${skew > 0 ? "behind" : "ahead of"} this machine's clock`,
      fix: "synchronise the clocks (NTP) of this machine and the sender; a timestamped signature is refused outside its tolerance, and an old request replayed as it was stays refused",
    };
  }
  return undefined;
}
