import type { z } from "zod";
import type { EnvelopeBuilder, schemas } from "../../core";
import { defined } from "../../core/objects";
import type { WaContent, WaMedia, WaMessage } from "./schema";
import { errorInfo, nonEmpty } from "./scope";

/*
 * The content of a WhatsApp message (inbound, an echo, or the new version inside an edit) as our `Message`.
 * Types and their objects: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Referral = z.output<typeof schemas.Referral>;

const MEDIA = new Map<string, { message: Message["type"]; attachment: Attachment["type"] }>([
  ["image", { message: "image", attachment: "image" }],
  ["video", { message: "video", attachment: "video" }],
  ["audio", { message: "audio", attachment: "audio" }],
  ["document", { message: "file", attachment: "file" }],
  ["sticker", { message: "sticker", attachment: "sticker" }],
  ["voice", { message: "voice", attachment: "voice" }],
]);
type MediaType = "image" | "video" | "audio" | "document" | "sticker" | "voice";

/** Types whose whole meaning is their content: they become a `Message`. */
export const CONTENT_TYPES = new Set(["text", ...MEDIA.keys(), "location", "contacts", "unsupported"]);

export type ContentSource = WaContent & Partial<Pick<WaMessage, "errors" | "unsupported" | "referral" | "order">>;

/** The content of a message as our `Message`; captions are also the text. */
export function content(
  b: EnvelopeBuilder,
  message: ContentSource,
  wamid: string,
  direction: Message["direction"],
): Message {
  const context = message.context;
  // the body's own object, completed key by key (no spreads): the envelope's validation writes the keys in the
  // catalogue's order whatever order they are set in here
  const body = contentBody(message);
  body.id = b.messageId(wamid);
  body.direction = direction;
  const out = body as Message; // id and direction set just above
  if (context?.id) out.reply_to = { message_id: b.messageId(context.id) };
  if (context?.forwarded || context?.frequently_forwarded) out.forwarded = true;
  const referral = referralOf(message);
  if (referral !== undefined) out.referral = referral;
  return out;
}

/** A message's type and content fields; `content` adds the rest to this same object. */
type Body = Omit<Message, "id" | "direction"> & Partial<Pick<Message, "id" | "direction">>;

function missing(message: ContentSource): Body {
  return {
    type: "unsupported",
    unsupported_reason: `whatsapp "${message.type}" message without its "${message.type}" object${errorSuffix(message)}`,
  };
}

function contentBody(message: ContentSource): Body {
  switch (message.type) {
    case "text":
      return message.text ? { type: "text", text: message.text.body } : missing(message);
    case "location": {
      const place = message.location;
      if (!place) return missing(message);
      const { latitude, longitude } = place;
      return {
        type: "location",
        location: {
          latitude,
          longitude,
          ...defined({ name: nonEmpty(place.name), address: nonEmpty(place.address), url: nonEmpty(place.url) }),
        },
      };
    }
    case "contacts": {
      if (!message.contacts) return missing(message);
      return { type: "contact", contacts: message.contacts.map(contactCard) };
    }
    case "interactive":
    case "button":
      return message.interactive || message.button ? { type: "interactive" } : missing(message);
    case "order":
      return message.order ? { type: "order", ...defined({ text: nonEmpty(message.order.text) }) } : missing(message);
    case "unsupported": {
      const kind = message.unsupported?.type;
      const reason = `whatsapp could not deliver this content${kind ? ` (unsupported type "${kind}")` : ""}${errorSuffix(message)}`;
      return { type: "unsupported", unsupported_reason: reason };
    }
  }
  if (MEDIA.has(message.type)) {
    const type = message.type as MediaType;
    const media = message[type];
    return media ? mediaBody(type, media) : missing(message);
  }
  // a structural type (reaction, order…) without its object, or a type new to us inside an edit
  const object: unknown = Object.hasOwn(message, message.type)
    ? (message as Record<string, unknown>)[message.type]
    : undefined;
  if (object === undefined || object === null) return missing(message);
  return {
    type: "unsupported",
    unsupported_reason: `whatsapp "${message.type}" content has no Message representation`,
  };
}

function mediaBody(type: MediaType, media: WaMedia): Body {
  // a voice note is an `audio` with `voice: true` ("audio/ogg; codecs=opus")
  const kind =
    type === "audio" && media.voice === true ? ({ message: "voice", attachment: "voice" } as const) : MEDIA.get(type)!;
  const attachment: Attachment = {
    type: kind.attachment,
    ...defined({
      media_id: nonEmpty(media.id),
      url: nonEmpty(media.url),
      mime_type: nonEmpty(media.mime_type),
      caption: nonEmpty(media.caption),
      file_name: nonEmpty(media.filename),
      sha256: nonEmpty(media.sha256),
    }),
  };
  return { type: kind.message, ...defined({ text: nonEmpty(media.caption) }), attachments: [attachment] };
}

function contactCard(card: NonNullable<WaContent["contacts"]>[number]): NonNullable<Message["contacts"]>[number] {
  const phones = (card.phones ?? []).flatMap((phone) => (phone.phone ? [phone.phone] : []));
  const emails = (card.emails ?? []).flatMap((email) => (email.email ? [email.email] : []));
  const waId = card.phones?.find((phone) => phone.wa_id)?.wa_id;
  return {
    ...defined({
      name: nonEmpty(card.name?.formatted_name),
      first_name: nonEmpty(card.name?.first_name),
      last_name: nonEmpty(card.name?.last_name),
    }),
    ...(phones.length > 0 ? { phones } : {}),
    ...(emails.length > 0 ? { emails } : {}),
    ...defined({ platform_user_id: nonEmpty(waId) }),
  };
}

/** Click-to-WhatsApp ad/post (`referral`), else a product inquiry (`context.referred_product`). */
export function referralOf(message: Partial<Pick<WaMessage, "referral" | "context">>): Referral | undefined {
  const ad = message.referral;
  if (ad) {
    return {
      ...defined({ source: nonEmpty(ad.source_type) }),
      type: "click_to_whatsapp",
      // source_id is the ad id for ads and the post id for posts
      ...(ad.source_type === "ad" ? defined({ ad_id: nonEmpty(ad.source_id) }) : {}),
      ...defined({
        url: nonEmpty(ad.source_url),
        headline: nonEmpty(ad.headline),
        body: nonEmpty(ad.body),
        media_type: nonEmpty(ad.media_type),
        media_url: nonEmpty(ad.image_url ?? ad.video_url),
        ctwa_clid: nonEmpty(ad.ctwa_clid),
      }),
    };
  }
  const product = message.context?.referred_product;
  return product ? { source: "product", type: "product_inquiry", product_id: product.product_retailer_id } : undefined;
}

function errorSuffix(message: Partial<Pick<WaMessage, "errors">>): string {
  const [first] = message.errors ?? [];
  if (first === undefined) return "";
  const error = errorInfo(first, "unknown error");
  return `: error ${error.code} ${error.message}${error.details ? ` (${error.details})` : ""}`;
}
