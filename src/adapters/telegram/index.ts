import { z } from "zod";
import { defineAdapter } from "../../core/adapter";
import { constantTimeEqual } from "../../core/crypto";
import { SignatureError } from "../../core/errors";
import { headerLookup } from "../../core/headers";
import { telegramDrift } from "./drift";
import { normalizeTelegram } from "./normalize";
import { Update } from "./schema";

const SECRET_HEADER = "x-telegram-bot-api-secret-token";
const secretHeader = headerLookup(SECRET_HEADER);

/**
 * Telegram has no body signature, only the static `secret_token` given to setWebhook and echoed in a header
 * (https://core.telegram.org/bots/api#setwebhook). It is required: a bot without one accepts anyone's POSTs,
 * so opting out must be explicit.
 */
export const TelegramSecrets = z.union([
  z.strictObject({ secret_token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "1-256 characters of A-Z a-z 0-9 _ -") }),
  z.strictObject({ allow_unverified: z.literal(true) }),
]);
export type TelegramSecrets = z.output<typeof TelegramSecrets>;

export const telegram = defineAdapter({
  platform: "telegram",
  payload: Update,
  secrets: TelegramSecrets,
  emits: [
    "messaging.message.received",
    "messaging.message.sent",
    "messaging.message.updated",
    "messaging.message.deleted",
    "messaging.story_reply.received",
    "messaging.comment.created",
    "messaging.conversation.created",
    "messaging.conversation.closed",
    "messaging.member.joined",
    "messaging.member.left",
    "messaging.reaction.added",
    "messaging.reaction.removed",
    "messaging.postback",
    "messaging.follow",
    "messaging.unfollow",
    "crm.contact.updated",
    "commerce.order.created",
    "commerce.order.updated",
  ],
  verify(request, secrets) {
    if (!("secret_token" in secrets)) return;
    const given = secretHeader(request.headers);
    if (given === undefined) throw new SignatureError(`missing ${SECRET_HEADER} header`, { platform: "telegram" });
    if (!constantTimeEqual(given, secrets.secret_token))
      throw new SignatureError(`${SECRET_HEADER} does not match`, { platform: "telegram" });
  },
  sign(_rawBody, secrets) {
    return "secret_token" in secrets ? { [SECRET_HEADER]: secrets.secret_token } : {};
  },
  normalize: normalizeTelegram,
  drift: telegramDrift,
});
