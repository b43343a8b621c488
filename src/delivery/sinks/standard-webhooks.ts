import { createHmac } from "node:crypto";
import { z } from "zod";

/*
 * Signing per Standard Webhooks 1.0 (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per
 * secret, so a subscriber rotating its secret accepts either during the overlap.
 */

const SECRET_PREFIX = "whsec_";

/** `whsec_` + base64 of 24 to 64 random bytes, as the spec recommends. */
export const WhsecSecret = z
  .string()
  .startsWith(SECRET_PREFIX, "a Standard Webhooks secret starts with whsec_")
  .refine((value) => {
    const body = value.slice(SECRET_PREFIX.length);
    const key = Buffer.from(body, "base64");
    return /^[A-Za-z0-9+/]+={0,2}$/.test(body) && key.length >= 24 && key.length <= 64;
  }, "expected whsec_ followed by the base64 of 24 to 64 bytes");

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

/** The `webhook-signature` value: one `v1,` signature per key, space-separated. */
export function signatureHeader(id: string, timestampSeconds: number, body: string, keys: readonly Buffer[]): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return keys.map((key) => `v1,${createHmac("sha256", key).update(content).digest("base64")}`).join(" ");
}

/** The three Standard Webhooks headers of one attempt. */
export function standardWebhookHeaders(
  id: string,
  timestampSeconds: number,
  body: string,
  keys: readonly Buffer[],
): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatureHeader(id, timestampSeconds, body, keys),
  };
}
