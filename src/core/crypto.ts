import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** HMAC of the exact raw bytes, as every signing platform computes it. */
export function hmac(algorithm: "sha1" | "sha256", secret: string, body: Uint8Array, encoding: "hex" | "base64"): string {
  return createHmac(algorithm, secret).update(body).digest(encoding);
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison takes the same time whatever
 * their lengths, and `timingSafeEqual` never throws on a length mismatch.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

/**
 * Whether `given` equals the signature computed with any of the secrets. Every secret is tried and none
 * short-circuits, so the time taken does not reveal which one matched (or how many are configured before it).
 */
export function matchesAnySecret(secrets: readonly string[], given: string, signature: (secret: string) => string): boolean {
  let matched = false;
  for (const secret of secrets) matched = constantTimeEqual(signature(secret), given) || matched;
  return matched;
}
