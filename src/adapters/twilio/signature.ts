import { createHash } from "node:crypto";
import type { VerifyRequest } from "../../core";
import { mediaTypeOf } from "../../core/content-type";
import { constantTimeEqual, hmac, matchesAnySecret } from "../../core/crypto";
import { SignatureError } from "../../core/errors";
import { headerValue } from "../../core/headers";

/*
 * `X-Twilio-Signature` (https://www.twilio.com/docs/usage/security#validating-requests): base64 of HMAC-SHA1,
 * keyed with the account's Auth Token, over the URL Twilio called (scheme, host, port if configured, path, full
 * query) followed by every POST parameter, sorted by name, as name+value with no delimiters. Twilio adds
 * parameters without notice, so every received parameter is hashed, never a fixed list. A JSON body is signed
 * differently: the URL carries `bodySHA256` (hex SHA-256 of the raw body), the signature covers the URL alone, and
 * the body is checked against that hash.
 */
export const SIGNATURE_HEADER = "x-twilio-signature";
/** Present when a Webhooks Rule signs with another key and algorithm, which a block's Auth Token cannot check. */
const SETTINGS_HEADER = "x-twilio-webhooks-signature-settings";

const utf8 = new TextDecoder("utf-8", { fatal: true });

function refuse(message: string): never {
  throw new SignatureError(message, { platform: "twilio" });
}

/**
 * Name+value of every form parameter, sorted by name in code-unit order ("Unix-style case-sensitive": `CallSid`
 * before `Caller`). A name sent several times contributes each distinct value once, sorted, as Twilio's SDKs do.
 */
export function sortedParams(form: URLSearchParams): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of form) {
    const values = byName.get(name);
    if (values === undefined) byName.set(name, new Set([value]));
    else values.add(value);
  }
  let out = "";
  for (const name of [...byName.keys()].sort(compare)) {
    for (const value of [...byName.get(name)!].sort(compare)) out += name + value;
  }
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The signature Twilio sends for this URL and these bytes (a form, or a JSON body when the URL has `bodySHA256`). */
export function twilioSignature(token: string, url: string, rawBody: Uint8Array): string {
  // lenient here (tests sign broken bytes to see them refused); `verifyTwilio` refuses a body that is not UTF-8
  const signed = hasBodyHash(url)
    ? url
    : url + sortedParams(new URLSearchParams(Buffer.from(rawBody).toString("utf8")));
  return hmac("sha1", token, Buffer.from(signed, "utf8"), "base64");
}

/** The hex SHA-256 of a body, as Twilio puts it in `bodySHA256`. */
export function bodySha256(rawBody: Uint8Array): string {
  return createHash("sha256").update(rawBody).digest("hex");
}

/** The URL Twilio calls for a JSON body: the webhook URL with `bodySHA256` appended to its query. */
export function withBodyHash(url: string, rawBody: Uint8Array): string {
  return `${url}${url.includes("?") ? "&" : "?"}bodySHA256=${bodySha256(rawBody)}`;
}

function hasBodyHash(url: string): boolean {
  const mark = url.indexOf("?");
  return mark !== -1 && new URLSearchParams(url.slice(mark + 1)).has("bodySHA256");
}

/**
 * The URL as Twilio may have signed it: as received first, then with the scheme's default port written out or
 * left out (Twilio keeps a configured port for messaging; the SDKs try both). Only the authority changes: the
 * path and query are never re-encoded, since Twilio's own encoding of `'`, `+` or `%20` is what it signed.
 */
export function urlCandidates(url: string): string[] {
  const match = /^(https?):\/\/([^/?#]*)/i.exec(url);
  if (match === null) return [url];
  const scheme = match[1]!.toLowerCase();
  const authority = match[2]!;
  const rest = url.slice(match[0].length);
  const port = scheme === "https" ? "443" : "80";
  const explicit = /:(\d+)$/.exec(authority);
  if (explicit === null) return [url, `${match[1]}://${authority}:${port}${rest}`];
  if (explicit[1] === port) return [url, `${match[1]}://${authority.slice(0, explicit.index)}${rest}`];
  return [url];
}

/** Throws `SignatureError` unless the request carries a valid `X-Twilio-Signature` for one of the tokens. */
export function verifyTwilio(request: VerifyRequest, tokens: readonly string[]): void {
  const given = headerValue(request.headers, SIGNATURE_HEADER);
  if (given === undefined) refuse(`missing ${SIGNATURE_HEADER} header`);
  if (headerValue(request.headers, SETTINGS_HEADER) !== undefined)
    refuse(`${SETTINGS_HEADER} names a Webhooks Rule key, which the block's auth_tokens cannot verify`);
  const { url } = request;
  if (url === undefined) refuse("the URL Twilio called is unknown: pass url (the edge builds it from public_url)");
  const bodyHash = request.query.get("bodySHA256");
  // a JSON body is only ever signed through bodySHA256: read as a form it would be a different, unsigned thing
  if (bodyHash === null && mediaTypeOf(headerValue(request.headers, "content-type")) === "application/json")
    refuse("a JSON body must come with bodySHA256 in the signed URL");
  let signedTail: string;
  if (bodyHash === null) {
    let text: string;
    try {
      text = utf8.decode(request.rawBody);
    } catch {
      refuse("the form body is not UTF-8, so its parameters cannot be what Twilio signed");
    }
    signedTail = sortedParams(new URLSearchParams(text));
  } else {
    // a JSON body: the URL (which carries the hash) is what is signed, and the body must have that hash
    if (!constantTimeEqual(bodyHash.toLowerCase(), bodySha256(request.rawBody)))
      refuse("the body does not match the bodySHA256 of the signed URL");
    signedTail = "";
  }
  let matched = false;
  for (const candidate of urlCandidates(url)) {
    const data = Buffer.from(candidate + signedTail, "utf8");
    matched = matchesAnySecret(tokens, given, (token) => hmac("sha1", token, data, "base64")) || matched;
  }
  if (!matched)
    refuse("signature does not match the URL and parameters (is the block's public_url the one Twilio calls?)");
}
