import { defineAdapter } from "../../core/adapter";
import { metaTransport } from "../meta-shared";
import { whatsAppDrift } from "./drift";
import { normalizeWhatsApp, whatsAppAccounts } from "./normalize";
import { WhatsAppWebhook } from "./schema";
import { PLATFORM } from "./scope";

/**
 * WhatsApp Cloud API (`object: "whatsapp_business_account"`). Signature and handshake are Meta's
 * (X-Hub-Signature-256 with the app secret, hub.challenge), shared with Messenger and Instagram.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview
 */
export const whatsapp = defineAdapter({
  platform: PLATFORM,
  payload: WhatsAppWebhook,
  emits: [
    "messaging.message.received",
    "messaging.message.sent",
    "messaging.message.delivered",
    "messaging.message.read",
    "messaging.message.failed",
    "messaging.message.updated",
    "messaging.message.deleted",
    "messaging.conversation.created",
    "messaging.reaction.added",
    "messaging.reaction.removed",
    "messaging.postback",
    "messaging.follow",
    "messaging.unfollow",
    "commerce.order.created",
    "crm.contact.updated",
    "platform.block.connected",
    "platform.block.disconnected",
    "platform.block.error",
    "platform.webhook.verified",
  ],
  ...metaTransport(PLATFORM),
  normalize: normalizeWhatsApp,
  accounts: whatsAppAccounts,
  drift: whatsAppDrift,
});
