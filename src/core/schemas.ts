import { z } from "zod";
import { ID_PREFIXES, idPattern, type IdKind } from "./engine/ids";

/*
 * Building blocks of the event data schemas. Every object is strict: the envelope we emit is exactly what we
 * document, and an adapter that adds an undocumented field fails validation instead of leaking it.
 */

const idOf = (kind: IdKind) => z.string().regex(idPattern(kind), `expected a ${ID_PREFIXES[kind]}… id`);

export const EventId = idOf("event");
export const ContactId = idOf("contact");
export const ConversationId = idOf("conversation");
export const MessageId = idOf("message");

/** ISO 8601 UTC with milliseconds, e.g. `2026-03-31T10:15:30.000Z`. */
export const IsoTimestamp = z.iso.datetime({ precision: 3 });

/** What a `Message` is, with the reason each type exists; docs/events.md lists them from here. */
export const MESSAGE_TYPES = {
  text: "plain text",
  image: "a picture (Telegram photo, LINE/WhatsApp image, Meta image attachment)",
  video: "a video, video note or animation",
  audio: "an audio file or music track",
  voice: "a recorded voice note",
  file: "a document or any other file",
  sticker: "a sticker; the attachment carries its emoji or pack id",
  location: "a shared location or venue (`location`)",
  contact: "one or more shared contact cards (`contacts`)",
  share: "a shared post, reel, story or link",
  interactive: "a button, list or form reply; the matching `messaging.postback` carries the payload",
  order: "a cart or order; the matching `commerce.order.created` carries the items",
  unsupported:
    "content the platform itself marks unsupported, or that has no representation here (`unsupported_reason`)",
  unknown: "the webhook does not carry the content at all (a WhatsApp `sent` status names only the message)",
} as const;
export type MessageType = keyof typeof MESSAGE_TYPES;

export const ATTACHMENT_TYPES = {
  image: "picture",
  video: "video",
  audio: "audio file",
  voice: "voice note",
  file: "document or other file",
  sticker: "sticker",
  animation: "GIF-like animation",
  share: "shared post or link card",
  story: "story (Instagram story mention or reply)",
  reel: "reel (Instagram)",
  post: "feed post (Instagram ig_post)",
  link: "link preview",
  template: "structured template the business sent",
  unsupported: "content the platform could not deliver",
} as const;
export type AttachmentType = keyof typeof ATTACHMENT_TYPES;

const enumOf = <T extends Record<string, string>>(record: T) =>
  z.enum(Object.keys(record) as [keyof T & string, ...(keyof T & string)[]]);

export const Attachment = z.strictObject({
  type: enumOf(ATTACHMENT_TYPES),
  url: z.string().optional(),
  /** the platform's handle to fetch the media later (Telegram file_id, WhatsApp media id, LINE message id) */
  media_id: z.string().optional(),
  mime_type: z.string().optional(),
  caption: z.string().optional(),
  title: z.string().optional(),
  file_name: z.string().optional(),
  /** bytes */
  size: z.number().int().nonnegative().optional(),
  width: z.number().int().nonnegative().optional(),
  height: z.number().int().nonnegative().optional(),
  /** seconds */
  duration: z.number().nonnegative().optional(),
  sha256: z.string().optional(),
  /** the emoji a sticker stands for */
  emoji: z.string().optional(),
});

export const Location = z.strictObject({
  latitude: z.number(),
  longitude: z.number(),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
});

export const ContactCard = z.strictObject({
  name: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  phones: z.array(z.string()).optional(),
  emails: z.array(z.string()).optional(),
  /** the shared person's own id on the platform, when the platform knows it */
  platform_user_id: z.string().optional(),
  vcard: z.string().optional(),
});

/** How the user arrived: an ad, a link with a ref parameter, a QR code, a click-to-WhatsApp ad… */
export const Referral = z.strictObject({
  source: z.string().optional(),
  type: z.string().optional(),
  ref: z.string().optional(),
  ad_id: z.string().optional(),
  url: z.string().optional(),
  headline: z.string().optional(),
  body: z.string().optional(),
  media_type: z.string().optional(),
  media_url: z.string().optional(),
  ctwa_clid: z.string().optional(),
  product_id: z.string().optional(),
});

export const Mention = z.strictObject({
  /** UTF-16 offset and length in `text`, as the platform reports them */
  offset: z.number().int().nonnegative().optional(),
  length: z.number().int().nonnegative().optional(),
  platform_user_id: z.string().optional(),
  /** true when the mention is the receiving bot/account itself */
  is_self: z.boolean().optional(),
  /** true when the mention addresses everyone in the chat (LINE `@All`) rather than one person */
  everyone: z.boolean().optional(),
});

export const Message = z.strictObject({
  id: MessageId,
  type: enumOf(MESSAGE_TYPES),
  direction: z.enum(["inbound", "outbound"]),
  text: z.string().optional(),
  attachments: z.array(Attachment).optional(),
  reply_to: z.strictObject({ message_id: MessageId }).optional(),
  location: Location.optional(),
  contacts: z.array(ContactCard).optional(),
  mentions: z.array(Mention).optional(),
  referral: Referral.optional(),
  forwarded: z.boolean().optional(),
  /** for `messaging.message.updated`: when the edit happened */
  edited_at: IsoTimestamp.optional(),
  /** for `type: "unsupported"`: why the content could not be represented */
  unsupported_reason: z.string().optional(),
});

/** What the platform tells us about the person, kept beside the derived `contact_id`. */
export const ContactProfile = z.strictObject({
  name: z.string().optional(),
  username: z.string().optional(),
  phone: z.string().optional(),
  language: z.string().optional(),
});

export const ErrorInfo = z.strictObject({
  code: z.string(),
  message: z.string(),
  details: z.string().optional(),
});

export const OrderItem = z.strictObject({
  product_id: z.string(),
  quantity: z.number().nonnegative(),
  /** major currency units (19.99, not 1999) */
  unit_price: z.number().optional(),
  currency: z.string().optional(),
  name: z.string().optional(),
});

export const Order = z.strictObject({
  id: z.string().optional(),
  status: z.string().optional(),
  currency: z.string().optional(),
  /** major currency units (19.99, not 1999) */
  total: z.number().optional(),
  note: z.string().optional(),
  /** the payment provider's charge id, when the order was paid in the chat */
  payment_id: z.string().optional(),
  items: z.array(OrderItem),
});

export const OrderRef = z.strictObject({ id: z.string(), status: z.string().optional() });

export const Cart = z.strictObject({
  id: z.string().optional(),
  currency: z.string().optional(),
  total: z.number().optional(),
  items: z.array(OrderItem),
});

/** JSON scalar values: what `changes` maps may carry. */
export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const Metadata = z.strictObject({
  raw_platform_event_id: z.string().min(1),
  platform_user_id: z.string().optional(),
  platform_thread_id: z.string().optional(),
  platform_account_id: z.string().optional(),
  platform_message_id: z.string().optional(),
  reply_token: z.string().optional(),
  is_redelivery: z.boolean().optional(),
  /** the event came from a standby channel (Meta handover: another app owns the thread) */
  is_standby: z.boolean().optional(),
  received_at: IsoTimestamp.optional(),
  /** `received` when the payload had no time of its own and `timestamp` is the receive time */
  timestamp_source: z.enum(["platform", "received"]).optional(),
  /** what the platform sent as the time when it was not a usable time (1970…9999); `timestamp` is then the receive time */
  platform_timestamp: z.string().optional(),
  /**
   * true when the raw event predates the platform's current webhook shape (LINE bodies from before April 2022 have
   * no `webhookEventId`): the dedupe key was derived from the event's own content, see the adapter's docs
   */
  legacy_shape: z.boolean().optional(),
});
