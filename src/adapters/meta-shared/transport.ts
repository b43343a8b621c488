import { z } from "zod";
import type { HandshakeRequest, HandshakeResult, NormalizeContext, VerifyRequest } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { constantTimeEqual, hmac, matchesAnySecret } from "../../core/crypto";
import { SignatureError } from "../../core/errors";
import { headerValue } from "../../core/headers";

/*
 * What Messenger, Instagram and WhatsApp share: the app-secret signature and the hub.challenge handshake
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 */

export const MetaSecrets = z.strictObject({
  /**
   * Every secret a valid request may be signed with: the Meta app secret, and for Instagram Login apps the
   * Instagram app secret too. Listing old and new secrets side by side is also how a secret is rotated.
   */
  app_secrets: z.array(z.string().min(1)).min(1),
  /** the token typed into the dashboard; the GET handshake is refused when it is absent */
  verify_token: z.string().min(1).optional(),
  /** accept the legacy `X-Hub-Signature` (sha1) header when no sha256 header is present */
  allow_sha1: z.boolean().optional(),
});
export type MetaSecrets = z.output<typeof MetaSecrets>;

const SHA256_HEADER = "x-hub-signature-256";
const SHA1_HEADER = "x-hub-signature";

/** Checks `X-Hub-Signature-256: sha256=<hex>` over the exact bytes against every configured secret. */
export function verifyMetaSignature(platform: string, request: VerifyRequest, secrets: MetaSecrets): void {
  const sha256 = headerValue(request.headers, SHA256_HEADER);
  const algorithm = sha256 !== undefined ? "sha256" : "sha1";
  const header = sha256 ?? (secrets.allow_sha1 === true ? headerValue(request.headers, SHA1_HEADER) : undefined);
  if (header === undefined) {
    throw new SignatureError(`missing ${SHA256_HEADER} header`, { platform: platform });
  }
  const prefix = `${algorithm}=`;
  if (!header.startsWith(prefix)) {
    throw new SignatureError(`malformed signature header: expected "${prefix}<hex>"`, { platform: platform });
  }
  // the hex after the prefix, in either case, compared where it is (no slice, no lower-cased copy)
  if (
    !matchesAnySecret(secrets.app_secrets, header, (secret) => hmac(algorithm, secret, request.rawBody, "hex"), {
      skipPrefix: prefix.length,
      hexAnyCase: true,
    })
  ) {
    throw new SignatureError("signature does not match the request body", { platform: platform });
  }
}

/** The header Meta would send, signed with the first configured secret. */
export function signMeta(rawBody: Uint8Array, secrets: MetaSecrets): Record<string, string> {
  const [secret] = secrets.app_secrets;
  if (secret === undefined) return {};
  return { [SHA256_HEADER]: `sha256=${hmac("sha256", secret, rawBody, "hex")}` };
}

/**
 * GET `?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`: answer the challenge as plain text when the
 * token matches, 403 otherwise (and when no verify token is configured: fail closed).
 */
export function metaHandshake(
  platform: string,
  request: HandshakeRequest,
  secrets: MetaSecrets,
  context: NormalizeContext,
): HandshakeResult {
  const mode = request.query.get("hub.mode");
  const token = request.query.get("hub.verify_token");
  const challenge = request.query.get("hub.challenge");
  const expected = secrets.verify_token;
  if (
    mode !== "subscribe" ||
    token === null ||
    challenge === null ||
    expected === undefined ||
    !constantTimeEqual(token, expected)
  ) {
    return { status: 403, body: "verification failed", events: [] };
  }
  const builder = new EnvelopeBuilder(platform, context);
  builder.event("platform.webhook.verified", {
    key: `handshake:${challenge}`,
    data: { method: "challenge" },
    metadata: { raw_platform_event_id: `hub.challenge:${challenge}` },
  });
  return { status: 200, body: challenge, events: builder.result().events };
}

/**
 * Everything Messenger, Instagram and WhatsApp share at the transport level, to spread into `defineAdapter`:
 * the secrets schema, X-Hub-Signature-256 verification, signing and the hub.challenge handshake.
 */
export function metaTransport(platform: string) {
  return {
    secrets: MetaSecrets,
    verify(request: VerifyRequest, secrets: MetaSecrets): void {
      verifyMetaSignature(platform, request, secrets);
    },
    sign: signMeta,
    handshake(request: HandshakeRequest, secrets: MetaSecrets, context: NormalizeContext): HandshakeResult {
      return metaHandshake(platform, request, secrets, context);
    },
  };
}
