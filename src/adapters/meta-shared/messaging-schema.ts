import { z } from "zod";
import { MetaTime } from "./entries";

/*
 * The Messenger Platform's DM item, which Messenger (`object: "page"`) and Instagram (`object: "instagram"`)
 * deliver alike in `messaging[]` / `standby[]` (Messenger "Webhook Events Reference":
 * https://developers.facebook.com/docs/messenger-platform/reference/webhook-events; Instagram:
 * https://developers.facebook.com/documentation/instagram-platform/webhooks/examples). Loose objects: Meta adds fields
 * without notice. Only what the mappings read is declared.
 */

/** Ids Meta documents as strings but sometimes sends as JSON numbers (app ids, sticker ids, ad ids). */
export const LooseId = z.union([z.string().min(1), z.number()]);

const Party = z.looseObject({ id: z.string().min(1).optional(), user_ref: z.string().min(1).optional() });

export const MetaReferral = z.looseObject({
  ref: z.string().optional(),
  source: z.string().optional(),
  type: z.string().optional(),
  ad_id: LooseId.optional(),
  referer_uri: z.string().optional(),
  ads_context_data: z
    .looseObject({
      ad_title: z.string().optional(),
      photo_url: z.string().optional(),
      video_url: z.string().optional(),
      product_id: LooseId.optional(),
    })
    .optional(),
  product: z.looseObject({ id: LooseId.optional() }).optional(),
});

export const AttachmentPayload = z.looseObject({
  url: z.string().optional(),
  title: z.string().optional(),
  sticker_id: LooseId.optional(),
  reel_video_id: LooseId.optional(),
  ig_post_media_id: LooseId.optional(),
  id: LooseId.optional(),
  coordinates: z.looseObject({ lat: z.number(), long: z.number() }).optional(),
  product: z
    .looseObject({
      elements: z.array(z.looseObject({ id: LooseId.optional(), title: z.string().optional() })).optional(),
    })
    .optional(),
});

/** `payload` may be null or absent (link `fallback`, `like_heart`); old fallbacks put `title`/`URL` beside it. */
export const MetaAttachment = z.looseObject({
  type: z.string(),
  payload: AttachmentPayload.nullable().optional(),
  title: z.string().optional(),
  url: z.string().optional(),
  URL: z.string().optional(),
});
export type MetaAttachment = z.output<typeof MetaAttachment>;

export const MetaMessage = z.looseObject({
  mid: z.string().min(1),
  text: z.string().optional(),
  is_echo: z.boolean().optional(),
  is_deleted: z.boolean().optional(),
  is_unsupported: z.boolean().optional(),
  app_id: LooseId.optional(),
  quick_reply: z.looseObject({ payload: z.string() }).optional(),
  reply_to: z
    .looseObject({
      mid: z.string().min(1).optional(),
      story: z.looseObject({ id: LooseId.optional(), url: z.string().optional() }).optional(),
    })
    .optional(),
  attachments: z.array(MetaAttachment).optional(),
  referral: MetaReferral.optional(),
});
export type MetaMessage = z.output<typeof MetaMessage>;

export const Handover = z.looseObject({
  previous_owner_app_id: LooseId.nullable().optional(),
  new_owner_app_id: LooseId.nullable().optional(),
  requested_owner_app_id: LooseId.optional(),
  metadata: z.string().optional(),
});

export const PolicyEnforcement = z.looseObject({ action: z.string(), reason: z.string().optional() });

/**
 * One `messaging[]` / `standby[]` item: `sender`, `recipient`, `timestamp` and one payload key. `sender` is
 * absent on Page-level events (`policy_enforcement`, `app_roles`); a plugin user may have only `user_ref`.
 */
export const MetaMessagingItem = z.looseObject({
  sender: Party.optional(),
  recipient: Party.optional(),
  timestamp: MetaTime.optional(),
  message: MetaMessage.optional(),
  read: z.looseObject({ watermark: MetaTime.optional(), mid: z.string().min(1).optional() }).optional(),
  reaction: z
    .looseObject({
      mid: z.string().min(1),
      action: z.string(),
      reaction: z.string().optional(),
      emoji: z.string().optional(),
    })
    .optional(),
  postback: z
    .looseObject({
      mid: z.string().min(1).optional(),
      title: z.string().optional(),
      payload: z.string().optional(),
      referral: MetaReferral.optional(),
    })
    .optional(),
  referral: MetaReferral.optional(),
  optin: z
    .looseObject({
      type: z.string().optional(),
      ref: z.string().optional(),
      payload: z.string().optional(),
      notification_messages_status: z.string().optional(),
      /** checkbox plugin: the `user_ref` the plugin was rendered with; the item then has no `sender` */
      user_ref: z.string().min(1).optional(),
      /** `"accept"` when the user accepted a message request the Page sent through customer matching */
      message_request: z.string().optional(),
    })
    .optional(),
  /** the same answer at the item's top level, as older payloads send it */
  message_request: z.string().optional(),
  pass_thread_control: Handover.optional(),
  take_thread_control: Handover.optional(),
  request_thread_control: Handover.optional(),
  policy_enforcement: PolicyEnforcement.optional(),
  // older typings spell it with a hyphen; accept both
  "policy-enforcement": PolicyEnforcement.optional(),
});
export type MetaMessagingItem = z.output<typeof MetaMessagingItem>;

/**
 * `changes[].field` names of DM events. Dashboard "Test" buttons (and the doc pages) send DM events in the
 * `{field, value}` form, `value` being the very object that production puts in `messaging[]`
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 */
export const MESSAGING_FIELD_NAMES: readonly string[] = [
  "messages",
  "message_echoes",
  "message_deliveries",
  "message_reads",
  "message_reactions",
  "message_edits",
  "messaging_postbacks",
  "messaging_referral",
  "messaging_referrals",
  "messaging_optins",
  "messaging_handover",
  "messaging_handovers",
  "messaging_seen",
  "messaging_policy_enforcement",
  "messaging_account_linking",
  "response_feedback",
  "send_cart",
  "standby",
];

const MESSAGING_FIELDS = new Set(MESSAGING_FIELD_NAMES);

export function isMessagingField(field: string): boolean {
  return MESSAGING_FIELDS.has(field);
}
