import { z } from "zod";
import { optionalStrings } from "../../core/loose";
import { metaEnvelope } from "../meta-shared";

/*
 * The parts of a WhatsApp Cloud API webhook that normalise reads
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages).
 * Loose objects: Meta adds fields often. Type-named sub-objects are `nullish` because real traffic carries `null`
 * or omits them (a re-sent interactive message arrives without `interactive`, with error 131000), and a
 * missing sub-object must become an unsupported message, not a rejected body.
 */

/** Seconds as a string on messages and statuses, seconds as a number on management fields. */
const Time = z.union([z.string(), z.number()]);

export const WaError = z.looseObject({
  code: z.union([z.number(), z.string()]).optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).nullish(),
});
export type WaError = z.output<typeof WaError>;

const Media = optionalStrings("id", "url", "mime_type", "sha256", "caption", "filename").extend({
  voice: z.boolean().optional(),
  animated: z.boolean().optional(),
});
export type WaMedia = z.output<typeof Media>;

const SharedContact = z.looseObject({
  name: optionalStrings("formatted_name", "first_name", "last_name").nullish(),
  phones: z.array(z.looseObject({ phone: z.string().optional(), wa_id: z.string().optional() })).nullish(),
  emails: z.array(z.looseObject({ email: z.string().optional() })).nullish(),
});

const Reply = z.looseObject({ id: z.string(), title: z.string().optional(), description: z.string().optional() });

const Interactive = z.looseObject({
  type: z.string(),
  button_reply: Reply.nullish(),
  list_reply: Reply.nullish(),
  nfm_reply: z
    .looseObject({ name: z.string().optional(), body: z.string().optional(), response_json: z.string() })
    .nullish(),
});

/** The content of a message: shared by `messages[]`, `message_echoes[]` and the new content inside an `edit`. */
const ContentFields = {
  type: z.string(),
  context: optionalStrings("id", "from")
    .extend({
      forwarded: z.boolean().optional(),
      frequently_forwarded: z.boolean().optional(),
      referred_product: z.looseObject({ catalog_id: z.string().optional(), product_retailer_id: z.string() }).nullish(),
    })
    .nullish(),
  text: z.looseObject({ body: z.string() }).nullish(),
  image: Media.nullish(),
  video: Media.nullish(),
  audio: Media.nullish(),
  document: Media.nullish(),
  sticker: Media.nullish(),
  /** the older On-Premises API sent voice notes as their own type `voice` (Cloud API: `audio` with `voice: true`) */
  voice: Media.nullish(),
  location: z
    .looseObject({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
      url: z.string().optional(),
    })
    .nullish(),
  contacts: z.array(SharedContact).nullish(),
  interactive: Interactive.nullish(),
  button: z.looseObject({ payload: z.string().optional(), text: z.string().optional() }).nullish(),
};

export const WaContent = z.looseObject(ContentFields);
export type WaContent = z.output<typeof WaContent>;

export const WaMessage = z.looseObject({
  ...ContentFields,
  id: z.string().min(1),
  timestamp: Time.optional(),
  /*
   * `from`: phone number / wa_id; absent for username-only users in the BSUID era, sometimes a BSUID itself
   * (https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/).
   * Echoes (`smb_message_echoes`) name the customer in `to` / `to_user_id`.
   */
  ...optionalStrings("from", "from_user_id", "to", "to_user_id", "group_id").shape,
  errors: z.array(WaError).nullish(),
  referral: optionalStrings(
    "source_url",
    "source_id",
    "source_type",
    "headline",
    "body",
    "media_type",
    "image_url",
    "video_url",
    "ctwa_clid",
  ).nullish(),
  reaction: z.looseObject({ message_id: z.string(), emoji: z.string().nullish() }).nullish(),
  order: z
    .looseObject({
      catalog_id: z.string().optional(),
      text: z.string().optional(),
      product_items: z
        .array(
          z.looseObject({
            product_retailer_id: z.string(),
            quantity: z.number(),
            item_price: z.number().optional(),
            currency: z.string().optional(),
          }),
        )
        .nullish(),
    })
    .nullish(),
  system: optionalStrings("type", "body", "wa_id", "user_id", "previous_user_id").nullish(),
  unsupported: z.looseObject({ type: z.string().optional() }).nullish(),
  revoke: z.looseObject({ original_message_id: z.string() }).nullish(),
  edit: z.looseObject({ original_message_id: z.string(), message: WaContent.nullish() }).nullish(),
});
export type WaMessage = z.output<typeof WaMessage>;

export const WaStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: Time.optional(),
  ...optionalStrings(
    "recipient_id",
    "recipient_user_id",
    "recipient_type",
    "recipient_participant_id",
    "recipient_participant_user_id",
  ).shape,
  errors: z.array(WaError).nullish(),
});
export type WaStatus = z.output<typeof WaStatus>;

export const WaContact = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional(), username: z.string().optional() }).nullish(),
});
export type WaContact = z.output<typeof WaContact>;

/*
 * Two levels (per-item isolation). The body's envelope — `object`, `entry[]` of objects with the account `id`
 * and a `changes[]` array — must be right or the request is a 400: without it the body cannot be routed. Every
 * change, and every message, status, error and echo inside one, is parsed on its own by the mapper; one that does
 * not have its documented shape is reported unhandled with the reason and its neighbours go through.
 */

/**
 * `value` of a change. For `messages` (and `smb_message_echoes`) it carries `metadata` and the arrays below;
 * management fields (template, account, quality updates…) carry their own members and no `metadata`. The items
 * of the arrays are parsed one by one (`WaMessage`, `WaStatus`, `WaError`).
 */
export const WaValue = z.looseObject({
  metadata: z
    .looseObject({ phone_number_id: z.string().min(1), display_phone_number: z.string().optional() })
    .optional(),
  contacts: z.array(z.unknown()).nullish(),
  messages: z.array(z.unknown()).nullish(),
  statuses: z.array(z.unknown()).nullish(),
  errors: z.array(z.unknown()).nullish(),
  message_echoes: z.array(z.unknown()).nullish(),
  user_preferences: z.array(z.unknown()).nullish(),
});
export type WaValue = z.output<typeof WaValue>;

/** A `user_preferences[]` item: marketing messages stopped or resumed. */
export const WaUserPreference = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  category: z.string(),
  value: z.string(),
  detail: z.string().optional(),
  /** seconds, a number */
  timestamp: Time.optional(),
});
export type WaUserPreference = z.output<typeof WaUserPreference>;

/** One `changes[]` item, parsed on its own. */
export const WaChangeItem = z.looseObject({ field: z.string(), value: WaValue });
export type WaChangeItem = z.output<typeof WaChangeItem>;

export const WaEntry = z.looseObject({
  /** the WhatsApp Business Account id; `"0"` in dashboard test payloads */
  id: z.string(),
  /** seconds, only on management fields; read as a time only where it is one */
  time: z.unknown().optional(),
  /** each change is parsed on its own (`WaChangeItem`) */
  changes: z.array(z.unknown()),
});
export type WaEntry = z.output<typeof WaEntry>;
/** A raw `changes[]` item, before it is parsed. */
export type WaChange = WaEntry["changes"][number];

/** A Messenger (`page`) or Instagram body fails here and becomes a `PayloadError`. */
export const WhatsAppWebhook = metaEnvelope("whatsapp_business_account", WaEntry);
export type WhatsAppWebhook = z.output<typeof WhatsAppWebhook>;
