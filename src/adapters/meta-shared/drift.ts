import type { z } from "zod";
import type { DriftCatalogue, DriftSchemaExtras } from "../../core";
import {
  AttachmentPayload,
  MetaAttachment,
  MetaMessage,
  MetaReferral,
  MESSAGING_FIELD_NAMES,
  PolicyEnforcement,
} from "./messaging-schema";

/*
 * What Meta documents a Messenger or Instagram webhook to hold, for drift reports (docs/drift.md)
 * (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events): the `{object, entry[]}`
 * envelope, the DM item in `messaging[]` / `standby[]` and in `changes[]` under its DM field, and the values of
 * its enumerated fields. Each product adds its own `changes[]` fields.
 */

/** Attachment types both products document (Instagram adds `ig_reel`, `story_mention`, `share`…). */
const ATTACHMENT_TYPES = [
  "image",
  "video",
  "audio",
  "file",
  "location",
  "fallback",
  "template",
  "sticker",
  "reel",
  "ig_reel",
  "ig_post",
  "story_mention",
  "share",
  "like_heart",
  "animated_image",
  "product",
  "appointment_booking",
];

/** DM kinds documented and reported unhandled: known with everything below them. */
const UNREAD_DM_KINDS = [
  "account_linking",
  "game_play",
  "app_roles",
  "messaging_feedback",
  "response_feedback",
  "checkout_update",
  "payment",
  "pre_checkout",
];

/** Documented `optin` fields normalise leaves alone (notification messages, one-time notifications). */
const OPTIN_FIELDS = [
  "title",
  "notification_messages_token",
  "notification_messages_frequency",
  "notification_messages_timezone",
  "token_expiry_timestamp",
  "user_token_status",
  "one_time_notif_token",
];

/** Extras of the DM item's shared parts: documented fields normalise leaves alone, and enumerated values. */
export const META_DM_EXTRAS: readonly DriftSchemaExtras[] = [
  { schema: MetaMessage, ignored: ["nlp.**", "commands.**", "seq", "is_self", "metadata", "reply_to.is_self_reply"] },
  { schema: MetaAttachment, values: { type: ATTACHMENT_TYPES } },
  {
    schema: AttachmentPayload,
    ignored: [
      "template_type",
      "elements.**",
      "buttons.**",
      "product.elements[].**",
      // `appointment_booking`
      "booking_id",
      "start_time",
      "end_time",
      "status",
      "timezone",
    ],
  },
  { schema: MetaReferral, ignored: ["is_guest_user", "ref_source", "ads_context_data.post_id"] },
  { schema: PolicyEnforcement, values: { action: ["block", "unblock", "warning"] } },
];

/** The catalogue of a Meta DM product: the shared parts, its DM item, and its own `changes[]` fields. */
export function metaDmDrift(options: {
  readonly payload: z.ZodType;
  readonly entry: z.ZodType;
  readonly item: z.ZodType;
  /** the product's own `changes[]` fields, each the catalogue of the change (`value.…` paths) */
  readonly changes: Readonly<Record<string, DriftCatalogue>>;
  readonly bySchema?: readonly DriftSchemaExtras[];
}): DriftCatalogue {
  const dmChange: DriftCatalogue = { schemas: [{ at: "value", schema: options.item }] };
  return {
    schemas: [
      { at: "", schema: options.payload },
      { at: "entry[]", schema: options.entry },
      { at: "entry[].messaging[]", schema: options.item },
      { at: "entry[].standby[]", schema: options.item },
    ],
    variants: [
      {
        at: "entry[].changes[]",
        by: "field",
        cases: {
          ...Object.fromEntries(MESSAGING_FIELD_NAMES.map((field) => [field, dmChange])),
          ...options.changes,
        },
      },
    ],
    bySchema: [
      ...META_DM_EXTRAS,
      {
        schema: options.item,
        ignored: [...UNREAD_DM_KINDS.map((kind) => `${kind}.**`), ...OPTIN_FIELDS.map((field) => `optin.${field}`)],
      },
      ...(options.bySchema ?? []),
    ],
    values: {
      "entry[].messaging[].reaction.action": ["react", "unreact"],
      "entry[].standby[].reaction.action": ["react", "unreact"],
    },
  };
}
