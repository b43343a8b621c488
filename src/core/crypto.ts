import * as nodeCrypto from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import { headerValue, type HeaderMap } from "./headers";
import { SignatureError } from "./errors";

/**
 * `crypto.hash` (Node 20.12+, 21.7+) computes a digest in one call, without the Hash object `createHash` builds;
 * its output is the same bytes. Older runtimes fall back to `createHash`.
 * https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding
 */
const oneShotHash = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash;

/**
 * SHA-256 of the UTF-8 bytes of `data` as a 32-character string whose character codes are the digest's bytes
 * (the `latin1` encoding, which Node also calls `binary`). Not a Buffer: on Node 20 the one-shot with a Buffer
 * output costs about three times as much as with a string output, and ids only read the bytes.
 */
export const sha256Latin1: (data: string) => string =
  typeof oneShotHash === "function"
    ? (data) => oneShotHash("sha256", data, "binary")
    : (data) => createHash("sha256").update(data).digest("binary");

/** HMAC of the exact raw bytes, as every signing platform computes it. */
export function hmac(algorithm: "sha1" | "sha256", secret: string, body: Uint8Array, encoding: "hex" | "base64"): string {
  return createHmac(algorithm, secretKey(secret)).update(body).digest(encoding);
}

/*
 * A string key is encoded to bytes again on every `createHmac`; the same few secrets sign every request, so their
 * bytes are kept (at most `SECRET_KEYS`, dropped together when full). Only configured
 * secrets reach this map, never anything a request carries.
 */
const SECRET_KEYS = 256;
const secretKeys = new Map<string, Buffer>();

function secretKey(secret: string): Buffer {
  let key = secretKeys.get(secret);
  if (key === undefined) {
    key = Buffer.from(secret, "utf8");
    if (secretKeys.size >= SECRET_KEYS) secretKeys.clear();
    secretKeys.set(secret, key);
  }
  return key;
}

/**
 * Constant-time string equality for a configured secret (a Telegram `secret_token`, a Meta `verify_token`): every
 * UTF-16 unit of equal-length strings is compared, with no early exit, so the time does not say how much of the
 * secret a guess got right. A length mismatch answers early: the length is not what keeps such a token secret.
 * Telegram allows 1-256 characters of `A-Z a-z 0-9 _ -` (https://core.telegram.org/bots/api#setwebhook), so the
 * length is at most 8 bits of a token whose strength is its 6 bits per character, and a sender who learns it
 * still has to guess every character. grammY's `webhookCallback` compares the same way (lengths first, then every
 * byte), as does `crypto.timingSafeEqual`, which refuses inputs of different lengths.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  return sameString(expected, given);
}

/**
 * Whether `given` equals the signature computed with any of the secrets. Every secret is tried and none
 * short-circuits, so the time taken does not reveal which one matched (or how many are configured before it).
 * A signature's length is public (the digest's size in its encoding), so the strings are compared directly, in
 * full; only a length mismatch, which says nothing the sender does not know, answers early.
 * `from` skips a prefix of `given` (`sha256=`), and `hexCase` reads its A-F as a-f (a hex signature in either
 * case), both without copying the header.
 */
export function matchesAnySecret(
  secrets: readonly string[],
  given: string,
  signature: (secret: string) => string,
  from = 0,
  hexCase = false,
): boolean {
  let matched = false;
  for (const secret of secrets) matched = sameString(signature(secret), given, from, hexCase) || matched;
  return matched;
}

/**
 * Whether `given`, from `from` on, equals `expected`, comparing every UTF-16 unit of equal-length strings with no
 * early exit (what `timingSafeEqual` does on bytes, without encoding both into Buffers first). Only a length
 * mismatch, which is public for a signature, answers early. With `hexCase`, A-F in `given` read as a-f (a
 * lower-case hex digest against a header in either case, as `toLowerCase` did); that branch depends on what the
 * sender sent, never on what is expected.
 */
function sameString(expected: string, given: string, from = 0, hexCase = false): boolean {
  if (given.length - from !== expected.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index++) {
    let unit = given.charCodeAt(from + index);
    if (hexCase && unit >= 0x41 && unit <= 0x46) unit |= 0x20;
    difference |= unit ^ expected.charCodeAt(index);
  }
  return difference === 0;
}

/** How a platform signs its bodies in one header: an HMAC of the exact bytes, keyed with a secret of the block. */
export interface HmacHeaderScheme {
  readonly platform: string;
  /** lower-case header name */
  readonly header: string;
  readonly algorithm: "sha1" | "sha256";
  readonly encoding: "hex" | "base64";
}

/**
 * `verify` and `sign` for a platform that sends `header: <hmac of the body>` (LINE, Viber, most custom platforms):
 * every configured secret is tried in constant time, hex is compared case-insensitively, and a missing header or
 * no match is a `SignatureError`. Spread into `defineAdapter` with a function picking the secrets from the block.
 */
export function hmacHeaderAuth<S>(scheme: HmacHeaderScheme, secretsOf: (secrets: S) => readonly string[]) {
  const signature = (rawBody: Uint8Array, secret: string) => hmac(scheme.algorithm, secret, rawBody, scheme.encoding);
  return {
    verify(request: { readonly rawBody: Uint8Array; readonly headers: HeaderMap }, secrets: S): void {
      const header = headerValue(request.headers, scheme.header);
      if (header === undefined) throw new SignatureError(scheme.platform, `missing ${scheme.header} header`);
      if (!matchesAnySecret(secretsOf(secrets), header, (secret) => signature(request.rawBody, secret), 0, scheme.encoding === "hex")) {
        throw new SignatureError(scheme.platform, "signature does not match the request body");
      }
    },
    sign(rawBody: Uint8Array, secrets: S): Record<string, string> {
      const [secret] = secretsOf(secrets);
      return secret === undefined ? {} : { [scheme.header]: signature(rawBody, secret) };
    },
  };
}
