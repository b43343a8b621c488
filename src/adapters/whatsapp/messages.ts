import type { z } from "zod";
import type { schemas } from "../../core";
import type { WaContent, WaMedia, WaMessage } from "./schema";
import { errorInfo, validTime, type Person, type Scope } from "./scope";

/*
 * `messages[]` (inbound) and `message_echoes[]` (Coexistence: the business wrote from the WhatsApp Business app).
 * Types and shapes: meta-platforms.md §4.3, §4.6; mapping: §6.3; dedupe key: the wamid (§7).
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Referral = z.output<typeof schemas.Referral>;

const MEDIA = {
  image: { message: "image", attachment: "image" },
  video: { message: "video", attachment: "video" },
  audio: { message: "audio", attachment: "audio" },
  document: { message: "file", attachment: "file" },
  sticker: { message: "sticker", attachment: "sticker" },
} as const satisfies Record<string, { message: Message["type"]; attachment: Attachment["type"] }>;
type MediaType = keyof typeof MEDIA;

/** Types whose whole meaning is their content: they become a `Message`. */
const CONTENT_TYPES = new Set(["text", ...Object.keys(MEDIA), "location", "contacts", "unsupported"]);

interface Base {
  readonly person: Person;
  readonly time: string | number | undefined;
  readonly metadata: Person["metadata"] & { raw_platform_event_id: string; platform_message_id: string };
}

export function mapInbound(scope: Scope, message: WaMessage): void {
  if (message.type === "system") return mapSystem(scope, message);
  const person = scope.person({ userId: message.from_user_id, waId: message.from }, message.group_id);
  if (person === undefined) {
    scope.b.unhandled(`messages.${message.type}`, message, {
      raw_platform_event_id: message.id,
      reason: "whatsapp message names no sender (no from, from_user_id or matching contact)",
    });
    return;
  }
  const base = baseOf(message, person);
  const { metadata, time } = base;
  const data = person.data;
  const key = message.id;

  switch (message.type) {
    case "interactive":
    case "button":
      return mapReply(scope, message, base);
    case "reaction": {
      const reaction = message.reaction;
      if (!reaction) break;
      const target = { message_id: scope.b.messageId(reaction.message_id) };
      const meta = { ...metadata, platform_message_id: reaction.message_id };
      // "When an end user removes a reaction emoji, WhatsApp sends a webhook without the emoji field" (or "")
      if (reaction.emoji) {
        scope.b.event("messaging.reaction.added", { key, timestamp: time, metadata: meta, data: { ...data, reaction: { ...target, emoji: reaction.emoji } } });
      } else {
        scope.b.event("messaging.reaction.removed", { key, timestamp: time, metadata: meta, data: { ...data, reaction: target } });
      }
      return;
    }
    case "order": {
      const order = message.order;
      if (!order) break;
      const items = (order.product_items ?? []).map((item) => ({
        product_id: item.product_retailer_id,
        quantity: item.quantity,
        ...(item.item_price === undefined ? {} : { unit_price: item.item_price }),
        ...(item.currency ? { currency: item.currency } : {}),
      }));
      const currencies = new Set(items.map((item) => item.currency));
      const [currency] = currencies;
      scope.b.event("commerce.order.created", {
        key, timestamp: time, metadata,
        data: {
          contact_id: data.contact_id,
          conversation_id: data.conversation_id,
          order: { ...(currencies.size === 1 && currency ? { currency } : {}), ...(order.text ? { note: order.text } : {}), items },
        },
      });
      // the order is also a bubble in the chat: keep it in the conversation as a message of type `order`
      scope.b.event("messaging.message.received", { key, timestamp: time, metadata, data: { ...data, message: content(scope, message, key, "inbound") } });
      return;
    }
    case "request_welcome":
      // the user opened the chat for the first time (welcome-message flow)
      scope.b.event("messaging.conversation.created", {
        key, timestamp: time, metadata,
        data: { ...data, source: "welcome", ...optional("referral", referralOf(message)) },
      });
      return;
    case "edit": {
      const edit = message.edit;
      if (!edit) break;
      const edited = edit.message ?? { type: "unsupported" };
      scope.b.event("messaging.message.updated", {
        key, timestamp: time, metadata: { ...metadata, platform_message_id: edit.original_message_id },
        data: {
          ...data,
          message: {
            ...content(scope, edited, edit.original_message_id, "inbound"),
            ...(time === undefined ? {} : { edited_at: scope.b.timestamp(time) }),
          },
        },
      });
      return;
    }
    case "revoke": {
      const revoke = message.revoke;
      if (!revoke) break;
      scope.b.event("messaging.message.deleted", {
        key, timestamp: time, metadata: { ...metadata, platform_message_id: revoke.original_message_id },
        data: { ...data, message_id: scope.b.messageId(revoke.original_message_id) },
      });
      return;
    }
    default:
      if (!CONTENT_TYPES.has(message.type)) {
        scope.b.unhandled(`messages.${message.type}`, message, { raw_platform_event_id: key });
        return;
      }
  }
  // a content type, or a known type whose object is missing: both are a message (unsupported when empty)
  scope.b.event("messaging.message.received", { key, timestamp: time, metadata, data: { ...data, message: content(scope, message, key, "inbound") } });
}

/** `smb_message_echoes`: what the business sent from the WhatsApp Business app, addressed by `to`/`to_user_id`. */
export function mapEcho(scope: Scope, message: WaMessage): void {
  const person = scope.person({ userId: message.to_user_id, waId: message.to }, message.group_id);
  if (person === undefined || !CONTENT_TYPES.has(message.type)) {
    scope.b.unhandled(`smb_message_echoes.${message.type}`, message, { raw_platform_event_id: message.id });
    return;
  }
  const base = baseOf(message, person);
  scope.b.event("messaging.message.sent", {
    key: `echo:${message.id}`, timestamp: base.time, metadata: base.metadata,
    data: { ...person.data, message: content(scope, message, message.id, "outbound") },
  });
}

function baseOf(message: WaMessage, person: Person): Base {
  return {
    person,
    time: validTime(message.timestamp),
    metadata: { raw_platform_event_id: message.id, ...person.metadata, platform_message_id: message.id },
  };
}

/**
 * Interactive replies (`button_reply`, `list_reply`, Flows `nfm_reply`) and template quick-reply `button`s are
 * postbacks. The tap also shows in the chat as a bubble with the button's text, so when it carries text the
 * same wamid yields a `messaging.message.received` of type `interactive` as well.
 */
function mapReply(scope: Scope, message: WaMessage, base: Base): void {
  const reply = replyOf(message);
  if (reply === "missing") {
    // re-sent interactive messages arrive without `interactive` and with value.errors 131000 (§8 #22)
    scope.b.event("messaging.message.received", {
      key: message.id, timestamp: base.time, metadata: base.metadata,
      data: { ...base.person.data, message: content(scope, message, message.id, "inbound") },
    });
    return;
  }
  if (reply === undefined) {
    scope.b.unhandled(`interactive.${message.interactive?.type ?? "unknown"}`, message, { raw_platform_event_id: message.id });
    return;
  }
  const repliedTo = message.context?.id;
  scope.b.event("messaging.postback", {
    key: message.id, timestamp: base.time, metadata: base.metadata,
    data: {
      ...base.person.data,
      postback: {
        payload: reply.payload,
        ...optional("title", reply.title),
        ...(repliedTo ? { message_id: scope.b.messageId(repliedTo) } : {}),
      },
    },
  });
  if (!reply.text) return;
  scope.b.event("messaging.message.received", {
    key: message.id, timestamp: base.time, metadata: base.metadata,
    data: { ...base.person.data, message: { ...content(scope, message, message.id, "inbound"), text: reply.text } },
  });
}

function replyOf(message: WaMessage): { payload: string; title?: string | undefined; text?: string | undefined } | "missing" | undefined {
  if (message.type === "button") {
    const button = message.button;
    if (!button) return "missing";
    return { payload: button.payload ?? button.text ?? "", title: button.text, text: button.text };
  }
  const interactive = message.interactive;
  if (!interactive) return "missing";
  const choice = interactive.type === "button_reply" ? interactive.button_reply : interactive.type === "list_reply" ? interactive.list_reply : undefined;
  if (choice) return { payload: choice.id, title: choice.title, text: choice.title };
  // Flows: the answers are the `response_json` string (it holds the flow_token); `body` is the bubble text
  if (interactive.type === "nfm_reply" && interactive.nfm_reply) return { payload: interactive.nfm_reply.response_json, text: interactive.nfm_reply.body };
  return undefined;
}

/** `system` messages carry no `contacts` (WhatsApp system reference); they re-key the person. */
function mapSystem(scope: Scope, message: WaMessage): void {
  const system = message.system;
  const time = validTime(message.timestamp);
  if (system?.type === "user_changed_number" && system.wa_id) {
    const person = scope.person({ userId: message.from_user_id, waId: message.from });
    if (person !== undefined) {
      // a contact keyed on its number is re-keyed by the new number; one keyed on its BSUID only gains a phone
      scope.b.event("crm.contact.updated", {
        key: message.id, timestamp: time,
        metadata: { raw_platform_event_id: message.id, ...person.metadata, platform_message_id: message.id },
        data: {
          contact_id: person.data.contact_id,
          conversation_id: person.data.conversation_id,
          changes: { phone: system.wa_id, ...(person.byUserId ? {} : { platform_user_id: system.wa_id }) },
        },
      });
      return;
    }
  }
  const newUserId = system?.user_id ?? message.from_user_id;
  if (system?.type === "user_changed_user_id" && system.previous_user_id && newUserId) {
    // the BSUID changed (WhatsApp changelog Aug 2026): the contact known by the previous one gets the new id
    const previous = scope.person({ userId: system.previous_user_id });
    if (previous !== undefined) {
      scope.b.event("crm.contact.updated", {
        key: message.id, timestamp: time,
        metadata: { raw_platform_event_id: message.id, ...previous.metadata, platform_message_id: message.id },
        data: { contact_id: previous.data.contact_id, conversation_id: previous.data.conversation_id, changes: { platform_user_id: newUserId } },
      });
      return;
    }
  }
  scope.b.unhandled(`system.${system?.type ?? "unknown"}`, message, {
    raw_platform_event_id: message.id,
    reason: `whatsapp system message "${system?.type ?? "unknown"}" has no catalogue type (no contact field it changes)`,
  });
}

/** The content of a message (or of an edit's new version) as our `Message`; captions are also the text. */
function content(scope: Scope, message: WaContent & Partial<Pick<WaMessage, "errors" | "unsupported" | "referral" | "order">>, wamid: string, direction: Message["direction"]): Message {
  const body = contentBody(message);
  const context = message.context;
  const referral = referralOf(message);
  return {
    id: scope.b.messageId(wamid),
    direction,
    ...body,
    ...(context?.id ? { reply_to: { message_id: scope.b.messageId(context.id) } } : {}),
    ...(context?.forwarded || context?.frequently_forwarded ? { forwarded: true } : {}),
    ...optional("referral", referral),
  };
}

type Body = Pick<Message, "type"> & Partial<Pick<Message, "text" | "attachments" | "location" | "contacts" | "unsupported_reason">>;

function contentBody(message: WaContent & Partial<Pick<WaMessage, "errors" | "unsupported" | "order">>): Body {
  const missing = (): Body => ({ type: "unsupported", unsupported_reason: `whatsapp "${message.type}" message without its "${message.type}" object${errorSuffix(message)}` });
  switch (message.type) {
    case "text":
      return message.text ? { type: "text", text: message.text.body } : missing();
    case "location": {
      const place = message.location;
      if (!place) return missing();
      const { latitude, longitude } = place;
      return { type: "location", location: { latitude, longitude, ...optional("name", place.name), ...optional("address", place.address), ...optional("url", place.url) } };
    }
    case "contacts": {
      if (!message.contacts) return missing();
      return { type: "contact", contacts: message.contacts.map(contactCard) };
    }
    case "interactive":
    case "button":
      return message.interactive || message.button ? { type: "interactive" } : missing();
    case "order":
      return message.order ? { type: "order", ...optional("text", message.order.text) } : missing();
    case "unsupported": {
      const kind = message.unsupported?.type;
      const reason = `whatsapp could not deliver this content${kind ? ` (unsupported type "${kind}")` : ""}${errorSuffix(message)}`;
      return { type: "unsupported", unsupported_reason: reason };
    }
  }
  if (Object.hasOwn(MEDIA, message.type)) {
    const type = message.type as MediaType;
    const media = message[type];
    return media ? mediaBody(type, media) : missing();
  }
  // a structural type (reaction, order…) without its object, or a type new to us inside an edit
  const object: unknown = (message as Record<string, unknown>)[message.type];
  if (object === undefined || object === null) return missing();
  return { type: "unsupported", unsupported_reason: `whatsapp "${message.type}" content has no Message representation` };
}

function mediaBody(type: MediaType, media: WaMedia): Body {
  // a voice note is an `audio` with `voice: true` ("audio/ogg; codecs=opus")
  const kind = type === "audio" && media.voice === true ? ({ message: "voice", attachment: "voice" } as const) : MEDIA[type];
  const attachment: Attachment = {
    type: kind.attachment,
    ...optional("media_id", media.id),
    ...optional("url", media.url),
    ...optional("mime_type", media.mime_type),
    ...optional("caption", media.caption),
    ...optional("file_name", media.filename),
    ...optional("sha256", media.sha256),
  };
  return { type: kind.message, ...optional("text", media.caption), attachments: [attachment] };
}

function contactCard(card: NonNullable<WaContent["contacts"]>[number]): NonNullable<Message["contacts"]>[number] {
  const phones = (card.phones ?? []).flatMap((phone) => (phone.phone ? [phone.phone] : []));
  const emails = (card.emails ?? []).flatMap((email) => (email.email ? [email.email] : []));
  const waId = card.phones?.find((phone) => phone.wa_id)?.wa_id;
  return {
    ...optional("name", card.name?.formatted_name),
    ...optional("first_name", card.name?.first_name),
    ...optional("last_name", card.name?.last_name),
    ...(phones.length > 0 ? { phones } : {}),
    ...(emails.length > 0 ? { emails } : {}),
    ...optional("platform_user_id", waId),
  };
}

/** Click-to-WhatsApp ad/post (`referral`), else a product inquiry (`context.referred_product`). */
function referralOf(message: Partial<Pick<WaMessage, "referral" | "context">>): Referral | undefined {
  const ad = message.referral;
  if (ad) {
    return {
      ...optional("source", ad.source_type),
      type: "click_to_whatsapp",
      // source_id is the ad id for ads and the post id for posts
      ...(ad.source_type === "ad" ? optional("ad_id", ad.source_id) : {}),
      ...optional("url", ad.source_url),
      ...optional("headline", ad.headline),
      ...optional("body", ad.body),
      ...optional("media_type", ad.media_type),
      ...optional("media_url", ad.image_url ?? ad.video_url),
      ...optional("ctwa_clid", ad.ctwa_clid),
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

/** `{ [key]: value }` when the value is a non-empty string, else nothing (exactOptionalPropertyTypes). */
function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === undefined || value === null || value === "" ? {} : ({ [key]: value } as { [P in K]?: V });
}
