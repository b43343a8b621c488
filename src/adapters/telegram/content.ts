import type { z } from "zod";
import type { EnvelopeBuilder, schemas } from "../../core";
import { defined } from "../../core/objects";
import type { TelegramChat, TelegramMessage, TelegramReaction, TelegramUser } from "./schema";

export type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
export type Profile = z.output<typeof schemas.ContactProfile>;

/** Message content Telegram has that our `Message` cannot carry; kept as `type: "unsupported"` with the reason. */
const UNSUPPORTED_CONTENT = [
  "dice",
  "poll",
  "game",
  "invoice",
  "paid_media",
  "checklist",
  "giveaway",
  "giveaway_winners",
];

/** Fields of a message that are not its content, skipped when naming a service message's kind. */
const COMMON_FIELDS = new Set([
  "message_id",
  "date",
  "chat",
  "from",
  "sender_chat",
  "message_thread_id",
  "is_topic_message",
  "business_connection_id",
  "sender_business_bot",
  "guest_query_id",
  "edit_date",
  "reply_to_message",
  "external_reply",
  "quote",
  "forward_origin",
  "forward_from",
  "forward_from_chat",
  "forward_from_message_id",
  "forward_signature",
  "forward_sender_name",
  "forward_date",
  "is_automatic_forward",
  "via_bot",
  "author_signature",
  "has_protected_content",
  "is_from_offline",
  "media_group_id",
  "reply_markup",
  "sender_boost_count",
  "sender_tag",
  "link_preview_options",
  "effect_id",
  "entities",
  "caption_entities",
  // undocumented legacy twins the Bot API server still writes next to the documented fields
  // (https://github.com/tdlib/telegram-bot-api, Client.cpp JsonMessage)
  "new_chat_participant",
  "new_chat_member",
  "left_chat_participant",
  "user_shared",
]);

/** Minor-unit exponents that are not 2 (https://core.telegram.org/bots/payments/currencies.json). */
const CURRENCY_EXPONENTS = new Map<string, number>([
  ...["XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG", "RWF", "XAF", "XOF", "KMF", "GNF", "VUV"].map(
    (code) => [code, 0] as const,
  ),
  ...["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"].map((code) => [code, 3] as const),
]);

/** The fields of a message that decide its content: what `mediaOf`, `serviceKind` and `contentOf` read. */
type ContentField =
  | "text"
  | "caption"
  | "entities"
  | "caption_entities"
  | "photo"
  | "animation"
  | "video"
  | "video_note"
  | "voice"
  | "audio"
  | "document"
  | "sticker"
  | "venue"
  | "location"
  | "contact"
  | "story"
  | "reply_to_message"
  | "forward_origin"
  | "forward_date";
type ContentFields = { [K in ContentField]: TelegramMessage[K] | undefined };

const CONTENT_FIELDS: ReadonlySet<string> = new Set(Object.keys(emptyContentFields()));

function emptyContentFields(): ContentFields {
  return {
    text: undefined,
    caption: undefined,
    entities: undefined,
    caption_entities: undefined,
    photo: undefined,
    animation: undefined,
    video: undefined,
    video_note: undefined,
    voice: undefined,
    audio: undefined,
    document: undefined,
    sticker: undefined,
    venue: undefined,
    location: undefined,
    contact: undefined,
    story: undefined,
    reply_to_message: undefined,
    forward_origin: undefined,
    forward_date: undefined,
  };
}

/**
 * The content fields of a message, read in one walk over the keys it has. Messages come in many shapes (each kind
 * of content, replies, forwards), so reading each field by name would be a megamorphic lookup per field it
 * might have, most of them absent; the walk reads only the keys present, through `for…in`'s own cache, into an
 * object of one shape. `for…in` lists inherited enumerable keys too, and a message's prototype is
 * `Object.prototype` (parsed JSON), so this reads what `message.text` and the like would.
 */
export function contentFields(message: TelegramMessage): ContentFields {
  const fields = emptyContentFields();
  for (const key in message) {
    if (CONTENT_FIELDS.has(key)) (fields as Record<string, unknown>)[key] = (message as Record<string, unknown>)[key];
  }
  return fields;
}

/** Where a message lives: the conversation key, and the key that scopes its message ids. */
export interface Thread {
  readonly key: string;
  readonly chat: TelegramChat;
  /** `String(chat.id)`, made once: the thread's metadata and, in a private chat, the contact's name it */
  readonly chatId: string;
}

/** A message's thread; business and guest chats are scoped so their ids cannot collide with the bot's own. */
export function threadOf(message: Pick<TelegramMessage, "chat" | "business_connection_id" | "guest_query_id">): Thread {
  // business and guest chats "may share the same identifier" as the bot's own chats, so they are scoped
  const chat = message.chat;
  const chatId = String(chat.id);
  if (message.business_connection_id !== undefined)
    return { key: `${message.business_connection_id}:${chatId}`, chat, chatId };
  if (message.guest_query_id !== undefined) return { key: `guest:${chatId}`, chat, chatId };
  return { key: chatId, chat, chatId };
}

/**
 * The content of a message as our `Message`; captions are the text (Telegram has no text on media). Built key by
 * key in the catalogue's order rather than as a literal of conditional spreads, which allocates a throwaway object
 * per absent field.
 */
export function contentOf(
  b: EnvelopeBuilder,
  original: TelegramMessage,
  thread: Thread,
  key: string,
  direction: Message["direction"],
  message: ContentFields = contentFields(original),
): Message {
  const { type, attachments } = mediaOf(message);
  const out: Message = { id: b.messageId(key), type, direction };
  const text = message.text ?? message.caption;
  if (text !== undefined) out.text = text;
  if (attachments.length > 0) out.attachments = [...attachments];
  if (message.reply_to_message)
    out.reply_to = { message_id: b.messageId(`${thread.key}:${message.reply_to_message.message_id}`) };
  const location = message.venue?.location ?? message.location;
  if (location) {
    out.location = {
      latitude: location.latitude,
      longitude: location.longitude,
      ...defined({ name: message.venue?.title, address: message.venue?.address || undefined }),
    };
  }
  const contact = message.contact;
  if (contact) {
    out.contacts = [
      {
        name: joinName(contact.first_name, contact.last_name),
        first_name: contact.first_name,
        ...defined({ last_name: contact.last_name }),
        phones: [contact.phone_number],
        ...defined({
          platform_user_id: contact.user_id === undefined ? undefined : String(contact.user_id),
          vcard: contact.vcard,
        }),
      },
    ];
  }
  const entities = message.entities ?? message.caption_entities;
  if (entities !== undefined) {
    const mentions = mentionsOf(entities);
    if (mentions.length > 0) out.mentions = mentions;
  }
  // a story in a message is documented as "a forwarded story", whether or not `forward_origin` says so; messages
  // stored before Bot API 7.0 (https://core.telegram.org/bots/api-changelog#december-29-2023) carry
  // `forward_date` (with forward_from, forward_from_chat or forward_sender_name) instead of `forward_origin`
  if (message.forward_origin || message.forward_date !== undefined || message.story) out.forwarded = true;
  if (type === "unsupported") {
    const unsupported = UNSUPPORTED_CONTENT.find((field) => field in original);
    out.unsupported_reason = `telegram "${unsupported ?? "unknown"}" content has no Message representation`;
  }
  return out;
}

type Mention = NonNullable<Message["mentions"]>[number];

function mentionsOf(entities: NonNullable<TelegramMessage["entities"]>): Mention[] {
  const mentions: Mention[] = [];
  for (const entity of entities) {
    if (entity.type !== "mention" && entity.type !== "text_mention") continue;
    mentions.push({
      offset: entity.offset,
      length: entity.length,
      ...defined({ platform_user_id: entity.user && String(entity.user.id) }),
    });
  }
  return mentions;
}

/** What a message without a file carries: one shared, frozen answer per type, as `mediaOf` runs twice per message. */
const NO_FILE = {
  location: Object.freeze({ type: "location", attachments: Object.freeze([]) }),
  contact: Object.freeze({ type: "contact", attachments: Object.freeze([]) }),
  text: Object.freeze({ type: "text", attachments: Object.freeze([]) }),
  unsupported: Object.freeze({ type: "unsupported", attachments: Object.freeze([]) }),
} as const;

interface Media {
  readonly type: Message["type"];
  readonly attachments: readonly Attachment[];
}

function mediaOf(message: ContentFields): Media {
  // several sizes of one photo arrive; the last is the largest (https://core.telegram.org/bots/api#photosize)
  const photo = message.photo?.at(-1);
  if (photo) return { type: "image", attachments: [fileOf(message, "image", photo)] };
  // animation comes with `document` set too, for old clients: check it first so it is not a file
  if (message.animation) return { type: "video", attachments: [fileOf(message, "animation", message.animation)] };
  if (message.video) return { type: "video", attachments: [fileOf(message, "video", message.video)] };
  if (message.video_note) return { type: "video", attachments: [fileOf(message, "video", message.video_note)] };
  if (message.voice) return { type: "voice", attachments: [fileOf(message, "voice", message.voice)] };
  if (message.audio) return { type: "audio", attachments: [fileOf(message, "audio", message.audio)] };
  if (message.document) return { type: "file", attachments: [fileOf(message, "file", message.document)] };
  if (message.sticker) return { type: "sticker", attachments: [fileOf(message, "sticker", message.sticker)] };
  if (message.venue || message.location) return NO_FILE.location;
  if (message.contact) return NO_FILE.contact;
  if (message.story) {
    // a forwarded story: a share of it, named `<story chat>:<story id>` as replies to stories are
    const { chat, id } = message.story;
    const story = chat === undefined || id === undefined ? undefined : `${chat.id}:${id}`;
    return {
      type: "share",
      attachments: [{ type: "story", ...defined({ media_id: story, title: chat && chatProfile(chat).name }) }],
    };
  }
  if (message.text !== undefined) return NO_FILE.text;
  return NO_FILE.unsupported;
}

function fileOf(
  message: ContentFields,
  type: Attachment["type"],
  ref: NonNullable<TelegramMessage["document"]>,
): Attachment {
  return {
    type,
    media_id: ref.file_id,
    ...defined({
      mime_type: ref.mime_type,
      file_name: ref.file_name,
      title: ref.title,
      size: ref.file_size,
      width: ref.width,
      height: ref.height,
      duration: ref.duration,
      emoji: ref.emoji,
      caption: message.caption,
    }),
  };
}

/** The field naming a service message (no user content), or undefined for a content message. */
export function serviceKind(
  message: TelegramMessage,
  fields: ContentFields = contentFields(message),
): string | undefined {
  if (mediaOf(fields).type !== "unsupported" || fields.caption !== undefined) return undefined;
  if (UNSUPPORTED_CONTENT.some((field) => field in message)) return undefined;
  return Object.keys(message).find((field) => !COMMON_FIELDS.has(field)) ?? "empty";
}

/** `chat:message` of the channel post a discussion-group message replies to, if it does. */
export function discussedPost(message: TelegramMessage): string | undefined {
  const parent = message.reply_to_message;
  if (parent?.is_automatic_forward !== true) return undefined;
  const origin = parent.forward_origin;
  if (origin?.chat !== undefined && origin.message_id !== undefined) return `${origin.chat.id}:${origin.message_id}`;
  return `${parent.chat.id}:${parent.message_id}`;
}

/**
 * Business chats are private chats with the customer, so chat.id is the customer: a message from anyone else
 * (the owner) or sent by the owner's bot is outgoing (`sender_business_bot` is "available only for outgoing
 * messages sent on behalf of the connected business account", https://core.telegram.org/bots/api#message).
 */
export function businessDirection(message: TelegramMessage): Message["direction"] {
  if (message.sender_business_bot !== undefined) return "outbound";
  return message.from !== undefined && message.from.id !== message.chat.id ? "outbound" : "inbound";
}

export function reactionKey(reaction: TelegramReaction): string {
  if (reaction.type === "emoji") return `emoji:${reaction.emoji ?? ""}`;
  if (reaction.type === "custom_emoji") return `custom:${reaction.custom_emoji_id ?? ""}`;
  return reaction.type;
}

export function reactionLabel(reaction: TelegramReaction): { emoji?: string; name?: string } {
  if (reaction.type === "emoji" && reaction.emoji !== undefined) return { emoji: reaction.emoji };
  if (reaction.type === "custom_emoji") return { name: `custom_emoji:${reaction.custom_emoji_id ?? ""}` };
  return { name: reaction.type };
}

export function userProfile(user: TelegramUser): Profile {
  const profile: Profile = {};
  const name = joinName(user.first_name, user.last_name);
  if (name !== "") profile.name = name;
  if (user.username !== undefined) profile.username = user.username;
  if (user.language_code !== undefined) profile.language = user.language_code;
  return profile;
}

export function chatProfile(chat: TelegramChat): Profile {
  const name = chat.title ?? joinName(chat.first_name, chat.last_name);
  return defined({ name: name === "" ? undefined : name, username: chat.username });
}

/** The non-empty parts, space-separated (what `[first, last].filter(Boolean).join(" ")` gives). */
function joinName(first: string | undefined, last: string | undefined): string {
  if (!first) return last || "";
  return last ? `${first} ${last}` : first;
}

export function majorUnits(amount: number, currency: string): number {
  return amount / 10 ** (CURRENCY_EXPONENTS.get(currency.toUpperCase()) ?? 2);
}
