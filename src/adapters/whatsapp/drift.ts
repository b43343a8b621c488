import type { DriftCatalogue } from "../../core";
import { defineDriftCatalogue } from "../../core/drift";
import { REPORTED_FIELDS } from "./account";
import {
  WaContact,
  WaContent,
  WaEntry,
  WaError,
  WaMessage,
  WaStatus,
  WaUserPreference,
  WaValue,
  WhatsAppWebhook,
} from "./schema";

/*
 * What the Cloud API documents a webhook to hold
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages), for
 * drift reports (docs/drift.md). A `changes[]` item's `value` depends on its `field`, so each field is a case of
 * its own; the administration fields normalise only reports are known with everything below their `value`.
 */

/** Message types the Cloud API documents (and `voice`, the On-Premises API's voice note). */
const MESSAGE_TYPES = [
  "text",
  "image",
  "audio",
  "video",
  "document",
  "sticker",
  "voice",
  "location",
  "contacts",
  "interactive",
  "button",
  "reaction",
  "order",
  "system",
  "request_welcome",
  "revoke",
  "edit",
  "unsupported",
  "unknown",
];

const messageFields = {
  ignored: [
    "identity.**",
    "errors[].href",
    // business-scoped user ids: the parent business's id of the sender
    "from_parent_user_id",
    "interactive.call_permission_reply.**",
    "referral.welcome_message.**",
    // the On-Premises API's media path on its own server
    ...["image", "video", "audio", "document", "sticker", "voice"].map((media) => `${media}.file`),
    // a shared contact card: normalise reads names, phones and emails
    "contacts[].addresses.**",
    "contacts[].birthday",
    "contacts[].org.**",
    "contacts[].urls.**",
    "contacts[].name.middle_name",
    "contacts[].name.prefix",
    "contacts[].name.suffix",
    "contacts[].phones[].type",
    "contacts[].emails[].type",
  ],
  values: {
    type: MESSAGE_TYPES,
    "interactive.type": ["button_reply", "list_reply", "nfm_reply", "call_permission_reply"],
    "system.type": [
      "user_changed_number",
      "user_changed_user_id",
      "customer_identity_changed",
      "customer_changed_number",
    ],
    "referral.source_type": ["ad", "post"],
    "referral.media_type": ["image", "video"],
  },
};

/** `value` of every field that carries messages, statuses or echoes: the phone number's `metadata` and the lists. */
const valueOf = (lists: DriftCatalogue["schemas"]): DriftCatalogue => ({
  schemas: [{ at: "value", schema: WaValue }, { at: "value.contacts[]", schema: WaContact }, ...(lists ?? [])],
  ignored: ["value.messaging_product", "value.contacts[].parent_user_id"],
});

const messages = valueOf([
  { at: "value.messages[]", schema: WaMessage },
  { at: "value.statuses[]", schema: WaStatus },
  { at: "value.errors[]", schema: WaError },
]);

/** Fields whose `value` normalise reports as it is: documented, so known with everything below. */
const reportedOnly = Object.fromEntries(
  [...REPORTED_FIELDS.keys(), "history", "smb_app_state_sync"].map((field) => [field, { ignored: ["value.**"] }]),
);

export const whatsAppDrift = defineDriftCatalogue({
  schemas: [
    { at: "", schema: WhatsAppWebhook },
    { at: "entry[]", schema: WaEntry },
  ],
  variants: [
    {
      at: "entry[].changes[]",
      by: "field",
      cases: {
        ...reportedOnly,
        messages,
        smb_message_echoes: valueOf([{ at: "value.message_echoes[]", schema: WaMessage }]),
        user_preferences: valueOf([{ at: "value.user_preferences[]", schema: WaUserPreference }]),
        // its `value` varies with its `event` (bans, restrictions, partner changes, verification…)
        account_update: { ignored: ["value.**"] },
      },
    },
  ],
  bySchema: [
    { schema: WaMessage, ...messageFields },
    { schema: WaContent, ...messageFields },
    {
      schema: WaStatus,
      ignored: ["conversation.**", "pricing.**", "biz_opaque_callback_data", "type"],
      values: { status: ["sent", "delivered", "read", "failed", "deleted", "played"] },
    },
    { schema: WaError, ignored: ["href"] },
    {
      schema: WaUserPreference,
      ignored: ["signup_id"],
      values: { category: ["marketing_messages"], value: ["stop", "resume", "signup"] },
    },
  ],
});
