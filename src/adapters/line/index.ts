import { z } from "zod";
import { defineAdapter } from "../../core/adapter";
import { hmacHeaderAuth } from "../../core/crypto";
import { lineDrift } from "./drift";
import { normalizeLine } from "./normalize";
import { CallbackRequest } from "./schema";

/**
 * Every channel secret a valid request may be signed with. Reissuing a secret in the console invalidates the
 * old one (https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/); listing both for the
 * switch-over is how a block rotates without rejecting requests in flight.
 */
export const LineSecrets = z.strictObject({
  channel_secrets: z.array(z.string().min(1)).min(1),
});
export type LineSecrets = z.output<typeof LineSecrets>;

/**
 * `x-line-signature`: base64 HMAC-SHA256 of the exact body bytes with the channel secret; LINE signs the UTF-8 it
 * sent, unescaped (https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/). The Verify
 * request is held to the same rule: LINE's SDK middleware rejects it unsigned, and a single unconfirmed report of
 * an unsigned Verify is not a reason to accept unsigned bodies
 * (https://developers.line.biz/en/reference/messaging-api/#signature-validation).
 */
const auth = hmacHeaderAuth<LineSecrets>(
  { platform: "line", header: "x-line-signature", algorithm: "sha256", encoding: "base64" },
  (secrets) => secrets.channel_secrets,
);

export const line = defineAdapter({
  platform: "line",
  payload: CallbackRequest,
  secrets: LineSecrets,
  emits: [
    "messaging.message.received",
    "messaging.message.updated",
    "messaging.message.deleted",
    "messaging.member.joined",
    "messaging.member.left",
    "messaging.follow",
    "messaging.unfollow",
    "messaging.conversation.created",
    "messaging.conversation.closed",
    "messaging.conversation.updated",
    "messaging.postback",
    "commerce.order.created",
    "commerce.order.updated",
    "commerce.order.cancelled",
    "platform.block.connected",
    "platform.block.disconnected",
    "platform.webhook.verified",
    "ptm.notification.delivered",
  ],
  ...auth,
  normalize: normalizeLine,
  drift: lineDrift,
  /**
   * The channel is named by `destination` (the bot's user id); a shared route picks the block by it. A stored body
   * from before late 2018 has none, so it can only be processed on a block's own route (or replayed for a block).
   */
  accounts(payload) {
    return payload.destination === undefined ? [] : [{ account_id: payload.destination, payload }];
  },
});
