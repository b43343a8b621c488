import { z } from "zod";
import { defineAdapter } from "../../core/adapter";
import { hmacHeaderAuth } from "../../core/crypto";
import { parseJsonKeepingBigIntegers } from "../../core/objects";
import { viberDrift } from "./drift";
import { normalizeViber } from "./normalize";
import { ViberWebhook } from "./schema";

/**
 * The bot's authentication token(s). Listing the old and the new token side by side is how a block rotates
 * without refusing callbacks in flight. The token also authenticates the outbound API: keep it secret.
 */
export const ViberSecrets = z.strictObject({ auth_tokens: z.array(z.string().min(1)).min(1) });
export type ViberSecrets = z.output<typeof ViberSecrets>;

/**
 * `x-viber-content-signature`: "a signature on the JSON passed to the callback", hex HMAC-SHA256 of the body with
 * the bot's authentication token as the key (https://developers.viber.com/docs/api/rest-bot-api/#callbacks). Every
 * callback must be signed, the `webhook` availability check included: reports disagree on whether Viber signs
 * that one, and accepting unsigned bodies would let anyone post events (docs/adapters/viber.md).
 */
const auth = hmacHeaderAuth<ViberSecrets>(
  { platform: "viber", header: "x-viber-content-signature", algorithm: "sha256", encoding: "hex" },
  (secrets) => secrets.auth_tokens,
);

/** Viber REST bot API callbacks. See docs/adapters/viber.md. */
export const viber = defineAdapter({
  platform: "viber",
  payload: ViberWebhook,
  secrets: ViberSecrets,
  emits: [
    "messaging.message.received",
    "messaging.message.delivered",
    "messaging.message.read",
    "messaging.message.failed",
    "messaging.follow",
    "messaging.unfollow",
    "messaging.conversation.created",
    "platform.webhook.verified",
  ],
  ...auth,
  /** `message_token` is an int64 sent as a JSON number; read it exactly */
  parseJson: parseJsonKeepingBigIntegers,
  normalize: normalizeViber,
  drift: viberDrift,
});
