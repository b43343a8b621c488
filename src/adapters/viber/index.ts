import { z } from "zod";
import { defineAdapter, headerValue, hmac, matchesAnySecret, SignatureError } from "../../core";
import { normalizeViber } from "./normalize";
import { ViberWebhook } from "./schema";

/** TODO: the header the platform signs its webhooks in, and how (link its documentation). */
const SIGNATURE_HEADER = "x-viber-signature";

/** What a block of this platform configures. Several secrets let a block rotate without refusing requests. */
export const ViberSecrets = z.strictObject({ secrets: z.array(z.string().min(1)).min(1) });
export type ViberSecrets = z.output<typeof ViberSecrets>;

/** TODO: the platform's signature: here hex HMAC-SHA256 of the exact body bytes. */
function signature(rawBody: Uint8Array, secret: string): string {
  return hmac("sha256", secret, rawBody, "hex");
}

export const viber = defineAdapter({
  platform: "viber",
  payload: ViberWebhook,
  secrets: ViberSecrets,
  /** TODO: every event type normalize can produce; the conformance suite checks each against the fixtures */
  emits: [],
  verify(request, secrets) {
    const given = headerValue(request.headers, SIGNATURE_HEADER);
    if (given === undefined) throw new SignatureError("viber", `missing ${SIGNATURE_HEADER} header`);
    if (!matchesAnySecret(secrets.secrets, given.toLowerCase(), (secret) => signature(request.rawBody, secret))) {
      throw new SignatureError("viber", "signature does not match the request body");
    }
  },
  sign(rawBody, secrets) {
    const [secret] = secrets.secrets;
    return secret === undefined ? {} : { [SIGNATURE_HEADER]: signature(rawBody, secret) };
  },
  normalize: normalizeViber,
});
