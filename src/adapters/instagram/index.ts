import { defineAdapter } from "../../core";
import { metaAccounts, metaTransport } from "../meta-shared";
import { normalizeInstagram } from "./normalize";
import { InstagramWebhook } from "./schema";

/**
 * Instagram messaging and comments: `object: "instagram"` webhooks. Apps using Instagram Login sign with the
 * Instagram app secret, apps using Facebook Login with the Meta app secret: list both in `app_secrets`
 * (meta-platforms.md §1.3). See docs/adapters/instagram.md.
 */
export const instagram = defineAdapter({
  platform: "instagram",
  payload: InstagramWebhook,
  emits: [
    "messaging.message.received",
    "messaging.message.sent",
    "messaging.message.read",
    "messaging.message.deleted",
    "messaging.story_reply.received",
    "messaging.reaction.added",
    "messaging.reaction.removed",
    "messaging.postback",
    "messaging.conversation.created",
    "messaging.conversation.updated",
    "messaging.handoff.requested",
    "messaging.follow",
    "messaging.unfollow",
    "messaging.comment.created",
    "platform.block.error",
    "platform.webhook.verified",
  ],
  ...metaTransport("instagram"),
  normalize: normalizeInstagram,
  /** one slice per Instagram account (`entry.id`) */
  accounts(payload) {
    return metaAccounts(payload);
  },
});
