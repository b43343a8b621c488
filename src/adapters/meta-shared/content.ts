import type { z } from "zod";
import type { EnvelopeBuilder, schemas } from "../../core";
import { defined, withFields } from "../../core/objects";
import type { MetaAttachment, MetaMessage, MetaReferral } from "./messaging-schema";

/*
 * The content of a Messenger or Instagram message as our `Message`: text, attachments, reply, location, ad
 * referral. Attachment types: https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
 * and https://developers.facebook.com/documentation/instagram-platform/webhooks/examples.
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Referral = z.output<typeof schemas.Referral>;

/** A Meta message as our `Message`. */
export function messageContent(b: EnvelopeBuilder, message: MetaMessage, direction: Message["direction"]): Message {
  // most messages are text alone: the attachment passes run only when there are attachments
  const mapped =
    message.attachments === undefined || message.attachments.length === 0
      ? NO_ATTACHMENTS
      : message.attachments.map(attachmentOf);
  const location = mapped.length === 0 ? undefined : mapped.find((entry) => "location" in entry);
  const attachments =
    mapped.length === 0
      ? NO_CONTENT
      : distinct(mapped.flatMap((entry) => ("attachment" in entry ? [entry.attachment] : [])));
  const type =
    message.is_unsupported === true ? "unsupported" : messageType(message.text, attachments, location !== undefined);
  const replyTo = message.reply_to?.mid;
  // built key by key in the catalogue's order (see `withFields` on spreads)
  const content: Message = { id: b.messageId(message.mid), type, direction };
  if (message.text !== undefined) content.text = message.text;
  if (attachments.length > 0) content.attachments = attachments;
  if (replyTo !== undefined) content.reply_to = { message_id: b.messageId(replyTo) };
  if (location !== undefined && "location" in location) content.location = location.location;
  if (message.referral !== undefined) content.referral = referralOf(message.referral);
  if (type === "unsupported") content.unsupported_reason = unsupportedReason(message, mapped);
  return content;
}

const NO_ATTACHMENTS: readonly MappedAttachment[] = [];
const NO_CONTENT: Attachment[] = [];

function unsupportedReason(message: MetaMessage, mapped: readonly MappedAttachment[]): string {
  if (message.is_unsupported === true) return "the platform marked the message is_unsupported";
  const unknown = mapped.flatMap((entry) => ("unknown" in entry ? [entry.unknown] : []));
  return unknown.length > 0
    ? `unsupported attachment type(s): ${unknown.join(", ")}`
    : "the message has neither text nor attachments";
}

type MappedAttachment = { attachment: Attachment; unknown?: string } | { location: NonNullable<Message["location"]> };

/**
 * Meta attachment types as our attachment types. Stickers arrive as `image` with a `sticker_id` (and, until
 * Aug 2026, as a `sticker` *and* such an image); Instagram post shares as `share` with an `ig_post_media_id`
 * (and, in the Nov 2025 → Feb 2026 transition, as `share` *and* `ig_post`,
 * https://developers.facebook.com/documentation/instagram-platform/webhooks/new). Both pairs map to one type and one
 * media id so `distinct` keeps one of each.
 */
function attachmentOf(raw: MetaAttachment): MappedAttachment {
  const payload = raw.payload ?? {};
  const url = payload.url ?? raw.url ?? raw.URL;
  const title = payload.title ?? raw.title;
  const make = (type: Attachment["type"], mediaId?: string | number): Attachment => ({
    type,
    ...defined({ url, title, media_id: mediaId === undefined ? undefined : String(mediaId) }),
  });
  switch (raw.type) {
    case "image":
      return { attachment: payload.sticker_id === undefined ? make("image") : make("sticker", payload.sticker_id) };
    case "video":
    case "audio":
    case "file":
      return { attachment: make(raw.type) };
    case "sticker":
      return { attachment: make("sticker", payload.sticker_id) };
    case "like_heart":
      // Instagram's heart: a sticker standing for ❤️, with no payload
      return { attachment: withFields(make("sticker"), { emoji: "\u2764\ufe0f" }) };
    case "reel":
    case "ig_reel":
      return { attachment: make("reel", payload.reel_video_id) };
    case "post":
    case "ig_post":
      return { attachment: make("post", payload.ig_post_media_id ?? payload.id) };
    case "share":
      return {
        attachment: payload.ig_post_media_id === undefined ? make("share") : make("post", payload.ig_post_media_id),
      };
    case "story_mention":
      return { attachment: make("story", payload.id) };
    case "fallback":
      return { attachment: make("link") };
    case "template": {
      const product = payload.product?.elements?.[0];
      const named =
        product?.title === undefined
          ? make("template", product?.id)
          : withFields(make("template", product.id), { title: product.title });
      return { attachment: named };
    }
    case "location":
      if (payload.coordinates !== undefined) {
        return {
          location: {
            latitude: payload.coordinates.lat,
            longitude: payload.coordinates.long,
            ...defined({ name: title }),
          },
        };
      }
      return { attachment: make("unsupported"), unknown: raw.type };
    default:
      return { attachment: make("unsupported"), unknown: raw.type };
  }
}

/** One attachment per type and media (or URL): the duplicate half of a transition pair is dropped. */
function distinct(attachments: Attachment[]): Attachment[] {
  const seen = new Set<string>();
  return attachments.filter((attachment) => {
    const key = `${attachment.type}:${attachment.media_id ?? attachment.url ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SHARED_CONTENT = new Set<Attachment["type"]>(["reel", "post", "share", "story", "link", "template"]);
const MEDIA = new Set<Attachment["type"]>(["image", "video", "audio", "file", "sticker"]);

function messageType(text: string | undefined, attachments: Attachment[], hasLocation: boolean): Message["type"] {
  if (hasLocation) return "location";
  const first = attachments.find((attachment) => attachment.type !== "unsupported");
  if (first === undefined) return text === undefined ? "unsupported" : "text";
  // a typed URL arrives as text plus a `fallback` link preview: still a text message
  if (text !== undefined && attachments.every((attachment) => attachment.type === "link")) return "text";
  if (SHARED_CONTENT.has(first.type)) return "share";
  return MEDIA.has(first.type) ? (first.type as Message["type"]) : "unsupported";
}

/** A Meta referral (m.me / ig.me link, click-to-Messenger ad, QR code, Shops product) as our `Referral`. */
export function referralOf(referral: z.output<typeof MetaReferral>): Referral {
  const context = referral.ads_context_data;
  const mediaUrl = context?.photo_url ?? context?.video_url;
  const productId = referral.product?.id ?? context?.product_id;
  return defined({
    source: referral.source,
    type: referral.type,
    ref: referral.ref,
    ad_id: referral.ad_id === undefined ? undefined : String(referral.ad_id),
    url: referral.referer_uri,
    headline: context?.ad_title,
    media_type:
      mediaUrl === undefined ? undefined : context?.photo_url !== undefined ? ("image" as const) : ("video" as const),
    media_url: mediaUrl,
    product_id: productId === undefined ? undefined : String(productId),
  });
}
