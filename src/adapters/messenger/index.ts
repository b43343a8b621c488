import { defineAdapter } from "../../core";
import { metaAccounts, metaTransport } from "../meta-shared";
import { normalizeMessenger } from "./normalize";
import { PageWebhook } from "./schema";

/**
 * Facebook Messenger: `object: "page"` webhooks signed with the Meta app secret (`X-Hub-Signature-256`), set
 * up with the `hub.challenge` GET handshake. See docs/adapters/messenger.md.
 */
export const messenger = defineAdapter({
  platform: "messenger",
  payload: PageWebhook,
  emits: [
    "messaging.message.received",
    "messaging.message.sent",
    "messaging.message.delivered",
    "messaging.message.read",
    "messaging.message.updated",
    "messaging.reaction.added",
    "messaging.reaction.removed",
    "messaging.postback",
    "messaging.conversation.created",
    "messaging.conversation.updated",
    "messaging.handoff.requested",
    "messaging.follow",
    "messaging.unfollow",
    "messaging.comment.created",
    "commerce.order.created",
    "platform.block.error",
    "platform.webhook.verified",
  ],
  ...metaTransport("messenger"),
  normalize: normalizeMessenger,
  /** one slice per Page (`entry.id`), so a shared route hands each Page's entries to its own block */
  accounts(payload) {
    return metaAccounts(payload);
  },
});
