import * as nodeCrypto from "node:crypto";
import { createHash } from "node:crypto";

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

/*
 * A string key is encoded to bytes again on every `createHmac`; the same few secrets sign every request, so their
 * bytes are kept (at most `SECRET_KEYS`, dropped together when full). Only configured
 * secrets reach this map, never anything a request carries.
 */
const SECRET_KEYS = 256;
const secretKeys = new Map<string, Buffer>();

export function hmacKey(secret: string): Buffer {
  let key = secretKeys.get(secret);
  if (key === undefined) {
    key = Buffer.from(secret, "utf8");
    if (secretKeys.size >= SECRET_KEYS) secretKeys.clear();
    secretKeys.set(secret, key);
  }
  return key;
}
