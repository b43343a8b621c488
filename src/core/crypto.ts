import { createHmac } from "node:crypto";
import { headerValue, type HeaderMap } from "./headers";
// the engine's modules by name, not its barrel: the barrel's re-exports are accessors on an object V8 keeps in
// dictionary mode, and every call through one is a slow property load (about 300 instructions)
import { hmacKey } from "./engine/digest";
import { SignatureError } from "./errors";

/** HMAC of the exact raw bytes, as every signing platform computes it. */
export function hmac(
  algorithm: "sha1" | "sha256",
  secret: string,
  body: Uint8Array,
  encoding: "hex" | "base64",
): string {
  return createHmac(algorithm, hmacKey(secret)).update(body).digest(encoding);
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
 * Both options read the header without copying it (see `SignatureMatch`).
 */
export function matchesAnySecret(
  secrets: readonly string[],
  given: string,
  signature: (secret: string) => string,
  options: SignatureMatch = {},
): boolean {
  const from = options.skipPrefix ?? 0;
  const hexCase = options.hexAnyCase ?? false;
  let matched = false;
  for (const secret of secrets) matched = sameString(signature(secret), given, from, hexCase) || matched;
  return matched;
}

/** How `matchesAnySecret` reads the header it is given. */
export interface SignatureMatch {
  /** characters at the start of the header that are not the signature (`"sha256=".length`); default 0 */
  readonly skipPrefix?: number;
  /** read A-F in the header as a-f: a lower-case hex digest against a header in either case; default false */
  readonly hexAnyCase?: boolean;
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
  const hexOptions: SignatureMatch = { hexAnyCase: scheme.encoding === "hex" };
  return {
    verify(request: { readonly rawBody: Uint8Array; readonly headers: HeaderMap }, secrets: S): void {
      const header = headerValue(request.headers, scheme.header);
      if (header === undefined)
        throw new SignatureError(`missing ${scheme.header} header`, { platform: scheme.platform });
      if (!matchesAnySecret(secretsOf(secrets), header, (secret) => signature(request.rawBody, secret), hexOptions)) {
        throw new SignatureError("signature does not match the request body", { platform: scheme.platform });
      }
    },
    sign(rawBody: Uint8Array, secrets: S): Record<string, string> {
      const [secret] = secretsOf(secrets);
      return secret === undefined ? {} : { [scheme.header]: signature(rawBody, secret) };
    },
  };
}
