import { EnvelopeBuilder, type NormalizeContext, type NormalizeResult, type schemas } from "../../core";
import type { z } from "zod";
import type { TelegramChat, TelegramMessage, TelegramReaction, TelegramUpdate, TelegramUser } from "./schema";

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Profile = z.output<typeof schemas.ContactProfile>;

const PLATFORM = "telegram";

/**
 * Community-known ids that stand for "someone posting as a chat" (anonymous admins, linked-channel forwards);
 * they are not people, so the sender is `sender_chat` instead (telegram-line.md A8 #9).
 */
const PSEUDO_SENDERS = new Set([777000, 1087968824, 136817688]);

/** Message content Telegram has that our `Message` cannot carry; kept as `type: "unsupported"` with the reason. */
const UNSUPPORTED_CONTENT = ["dice", "poll", "game", "invoice", "story", "paid_media", "checklist", "giveaway", "giveaway_winners"];

/** Fields of a message that are not its content, skipped when naming a service message's kind. */
const COMMON_FIELDS = new Set([
  "message_id", "date", "chat", "from", "sender_chat", "message_thread_id", "is_topic_message", "business_connection_id",
  "sender_business_bot", "guest_query_id", "edit_date", "reply_to_message", "external_reply", "quote", "forward_origin",
  "forward_from", "forward_from_chat", "forward_from_message_id", "forward_signature", "forward_sender_name", "forward_date",
  "is_automatic_forward", "via_bot", "author_signature", "has_protected_content", "is_from_offline", "media_group_id",
  "reply_markup", "sender_boost_count", "sender_tag", "link_preview_options", "effect_id", "entities", "caption_entities",
  // legacy duplicates the server still sends next to their documented twins (telegram-line.md A5.2)
  "new_chat_participant", "new_chat_member", "left_chat_participant", "user_shared",
]);

/** Minor-unit exponents that are not 2 (https://core.telegram.org/bots/payments/currencies.json). */
const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {
  XTR: 0, JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, PYG: 0, RWF: 0, XAF: 0, XOF: 0, KMF: 0, GNF: 0, VUV: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};

const START_COMMAND = /^\/start(?:@\w+)?(?:\s+(\S.*))?$/s;

/** The update kind is the one payload key besides `update_id` (Bot API: "at most one … can be present"). */
export function updateKind(update: TelegramUpdate): string {
  return Object.keys(update).find((key) => key !== "update_id") ?? "empty";
}

export function normalizeTelegram(update: TelegramUpdate, context: NormalizeContext): NormalizeResult {
  const builder = new EnvelopeBuilder(PLATFORM, context);
  const mapper = new UpdateMapper(builder, String(update.update_id));
  const kind = updateKind(update);
  const handled = mapper.map(update);
  if (!handled) builder.unhandled(kind, (update as Record<string, unknown>)[kind] ?? update, { raw_platform_event_id: mapper.rawId });
  return builder.result();
}

/** Where a message lives: the conversation key, and the key that scopes its message ids. */
interface Thread {
  readonly key: string;
  readonly chat: TelegramChat;
}

class UpdateMapper {
  constructor(
    private readonly b: EnvelopeBuilder,
    readonly rawId: string,
  ) {}

  /** Returns false when the update has no mapping, so the caller reports it as unhandled. */
  map(update: TelegramUpdate): boolean {
    if (update.message) return this.incoming(update.message);
    if (update.channel_post) return this.incoming(update.channel_post);
    if (update.guest_message) return this.incoming(update.guest_message);
    if (update.business_message) return this.business(update.business_message);
    if (update.edited_message) return this.edited(update.edited_message, "inbound");
    if (update.edited_channel_post) return this.edited(update.edited_channel_post, "inbound");
    if (update.edited_business_message) return this.edited(update.edited_business_message, businessDirection(update.edited_business_message));
    if (update.deleted_business_messages) return this.deletedBusiness(update.deleted_business_messages);
    if (update.message_reaction) return this.reaction(update.message_reaction);
    if (update.callback_query) return this.callback(update.callback_query);
    if (update.my_chat_member) return this.membership(update.my_chat_member);
    return false;
  }

  private thread(message: Pick<TelegramMessage, "chat" | "business_connection_id" | "guest_query_id">): Thread {
    // business and guest chats "may share the same identifier" as the bot's own chats, so they are scoped
    if (message.business_connection_id !== undefined) return { key: `${message.business_connection_id}:${message.chat.id}`, chat: message.chat };
    if (message.guest_query_id !== undefined) return { key: `guest:${message.chat.id}`, chat: message.chat };
    return { key: String(message.chat.id), chat: message.chat };
  }

  private messageKey(thread: Thread, message: TelegramMessage): string {
    // message_id is 0 for ephemeral or scheduled messages; then the update itself is the only stable key
    if (message.message_id === 0) return `${thread.key}:ephemeral:${message.ephemeral_message_id ?? `update-${this.rawId}`}`;
    return `${thread.key}:${message.message_id}`;
  }

  /** The person behind a message; pseudo-senders and channel posts resolve to the chat they speak for. */
  private sender(message: TelegramMessage): { id: number; profile: Profile } {
    const from = message.from;
    if (from !== undefined && !PSEUDO_SENDERS.has(from.id)) return { id: from.id, profile: userProfile(from) };
    const chat = message.sender_chat ?? message.chat;
    return { id: chat.id, profile: chatProfile(chat) };
  }

  private common(message: TelegramMessage, thread: Thread, contact: { id: number; profile: Profile }) {
    return {
      data: {
        contact_id: this.b.contactId(contact.id),
        conversation_id: this.b.conversationId(thread.key),
        contact: contact.profile,
      },
      metadata: {
        raw_platform_event_id: this.rawId,
        platform_user_id: String(contact.id),
        platform_thread_id: String(thread.chat.id),
        platform_message_id: String(message.message_id),
      },
    };
  }

  private incoming(message: TelegramMessage): boolean {
    const thread = this.thread(message);
    const key = this.messageKey(thread, message);
    const { data, metadata } = this.common(message, thread, this.sender(message));
    const service = serviceKind(message);
    if (service !== undefined) return this.service(message, thread, service, data, metadata);

    const content = this.content(message, thread, key, "inbound");
    if (message.reply_to_story) {
      const story = message.reply_to_story;
      this.b.event("messaging.story_reply.received", {
        key, timestamp: message.date, metadata,
        data: { ...data, message: content, story: { id: `${story.chat.id}:${story.id}` } },
      });
      return true;
    }
    const post = discussedPost(message);
    if (post !== undefined) {
      // a reply to a channel post auto-forwarded into its discussion group is a comment on that post
      this.b.event("messaging.comment.created", {
        key, timestamp: message.date, metadata,
        data: {
          contact_id: data.contact_id,
          contact: data.contact,
          comment: { id: key, text: content.text ?? "", post_id: post },
        },
      });
      return true;
    }
    this.b.event("messaging.message.received", { key, timestamp: message.date, metadata, data: { ...data, message: content } });

    const start = message.chat.type === "private" ? START_COMMAND.exec(message.text ?? "") : null;
    if (start !== null) {
      const ref = start[1]?.trim();
      this.b.event("messaging.conversation.created", {
        key, timestamp: message.date, metadata,
        data: { ...data, source: "start", ...(ref ? { referral: { source: "deep_link", ref } } : {}) },
      });
    }
    const shared = message.contact;
    if (shared?.user_id !== undefined && shared.user_id === message.from?.id) {
      // the user shared their own number (request_contact button): the contact record gains a phone
      this.b.event("crm.contact.updated", {
        key, timestamp: message.date, metadata,
        data: { contact_id: data.contact_id, conversation_id: data.conversation_id, changes: { phone: shared.phone_number } },
      });
    }
    return true;
  }

  /** Service messages with a catalogue fit; the rest are unhandled under `message.<field>`. */
  private service(
    message: TelegramMessage,
    thread: Thread,
    kind: string,
    data: ReturnType<UpdateMapper["common"]>["data"],
    metadata: ReturnType<UpdateMapper["common"]>["metadata"],
  ): boolean {
    const key = this.messageKey(thread, message);
    const around = { contact_id: data.contact_id, conversation_id: data.conversation_id };
    const paid = message.successful_payment;
    if (paid) {
      this.b.event("commerce.order.created", {
        key: `payment:${paid.telegram_payment_charge_id}`, timestamp: message.date, metadata,
        data: {
          ...around,
          order: {
            id: paid.invoice_payload,
            status: "paid",
            currency: paid.currency,
            total: majorUnits(paid.total_amount, paid.currency),
            payment_id: paid.telegram_payment_charge_id,
            items: [],
          },
        },
      });
      return true;
    }
    const refunded = message.refunded_payment;
    if (refunded) {
      this.b.event("commerce.order.updated", {
        key: `refund:${refunded.telegram_payment_charge_id}`, timestamp: message.date, metadata,
        data: { ...around, order: { id: refunded.invoice_payload, status: "refunded" } },
      });
      return true;
    }
    if (message.web_app_data) {
      this.b.event("messaging.postback", {
        key, timestamp: message.date, metadata,
        data: {
          ...data,
          postback: {
            payload: message.web_app_data.data,
            ...(message.web_app_data.button_text === undefined ? {} : { title: message.web_app_data.button_text }),
          },
        },
      });
      return true;
    }
    if (message.group_chat_created) {
      this.b.event("messaging.conversation.created", { key, timestamp: message.date, metadata, data: { ...data, source: "group_created" } });
      return true;
    }
    this.b.unhandled(`message.${kind}`, message, { raw_platform_event_id: this.rawId, reason: `telegram service message "${kind}" has no catalogue type` });
    return true;
  }

  private business(message: TelegramMessage): boolean {
    const direction = businessDirection(message);
    if (direction === "inbound") return this.incoming(message);
    const thread = this.thread(message);
    const key = this.messageKey(thread, message);
    // outgoing: the owner (or their bot) wrote to the customer, whose id is the private chat's id
    const customer = { id: message.chat.id, profile: chatProfile(message.chat) };
    const { data, metadata } = this.common(message, thread, customer);
    this.b.event("messaging.message.sent", {
      key, timestamp: message.date, metadata,
      data: { ...data, message: this.content(message, thread, key, "outbound") },
    });
    return true;
  }

  private edited(message: TelegramMessage, direction: Message["direction"]): boolean {
    const thread = this.thread(message);
    const key = this.messageKey(thread, message);
    const contact = direction === "outbound" ? { id: message.chat.id, profile: chatProfile(message.chat) } : this.sender(message);
    const { data, metadata } = this.common(message, thread, contact);
    const editedAt = message.edit_date ?? message.date;
    const content = this.content(message, thread, key, direction);
    this.b.event("messaging.message.updated", {
      // edits can repeat with no visible change; the edit time tells them apart (telegram-line.md A8 #13)
      key: `${key}:edit:${editedAt}`, timestamp: editedAt, metadata,
      data: { ...data, message: { ...content, edited_at: this.b.timestamp(editedAt) } },
    });
    return true;
  }

  private deletedBusiness(deleted: NonNullable<TelegramUpdate["deleted_business_messages"]>): boolean {
    const thread = this.thread(deleted);
    for (const id of deleted.message_ids) {
      const key = `${thread.key}:${id}`;
      this.b.event("messaging.message.deleted", {
        key: `${key}:deleted`,
        data: {
          contact_id: this.b.contactId(deleted.chat.id),
          conversation_id: this.b.conversationId(thread.key),
          contact: chatProfile(deleted.chat),
          message_id: this.b.messageId(key),
        },
        metadata: {
          raw_platform_event_id: this.rawId,
          platform_user_id: String(deleted.chat.id),
          platform_thread_id: String(deleted.chat.id),
          platform_message_id: String(id),
        },
      });
    }
    return true;
  }

  private reaction(update: NonNullable<TelegramUpdate["message_reaction"]>): boolean {
    const actor = update.user ? { id: update.user.id, profile: userProfile(update.user) } : update.actor_chat ? { id: update.actor_chat.id, profile: chatProfile(update.actor_chat) } : undefined;
    const actorId = actor?.id ?? update.chat.id;
    const thread: Thread = { key: String(update.chat.id), chat: update.chat };
    const target = `${thread.key}:${update.message_id}`;
    const base = {
      contact_id: this.b.contactId(actorId),
      conversation_id: this.b.conversationId(thread.key),
      ...(actor ? { contact: actor.profile } : {}),
    };
    const metadata = {
      raw_platform_event_id: this.rawId,
      platform_user_id: String(actorId),
      platform_thread_id: String(update.chat.id),
      platform_message_id: String(update.message_id),
    };
    // old and new are full sets, not deltas (telegram-line.md A5.5)
    const oldKeys = new Set(update.old_reaction.map(reactionKey));
    const newKeys = new Set(update.new_reaction.map(reactionKey));
    const changes = [
      ...update.new_reaction.filter((r) => !oldKeys.has(reactionKey(r))).map((r) => ["messaging.reaction.added", r] as const),
      ...update.old_reaction.filter((r) => !newKeys.has(reactionKey(r))).map((r) => ["messaging.reaction.removed", r] as const),
    ];
    for (const [type, reaction] of changes) {
      this.b.event(type, {
        key: `${target}:${actorId}:${update.date}:${reactionKey(reaction)}`,
        timestamp: update.date,
        metadata,
        data: { ...base, reaction: { message_id: this.b.messageId(target), ...reactionLabel(reaction) } },
      });
    }
    return true;
  }

  private callback(query: NonNullable<TelegramUpdate["callback_query"]>): boolean {
    const payload = query.data ?? query.game_short_name;
    if (payload === undefined) return false;
    const message = query.message;
    const threadKey = message ? this.thread(message).key : `inline:${query.inline_message_id ?? query.chat_instance ?? query.id}`;
    const button = message?.reply_markup?.inline_keyboard?.flat().find((candidate) => candidate.callback_data === payload);
    this.b.event("messaging.postback", {
      key: `callback:${query.id}`,
      // callback queries carry no time of their own; the pipeline falls back to the receive time
      data: {
        contact_id: this.b.contactId(query.from.id),
        conversation_id: this.b.conversationId(threadKey),
        contact: userProfile(query.from),
        postback: {
          payload,
          ...(button ? { title: button.text } : {}),
          ...(message ? { message_id: this.b.messageId(`${threadKey}:${message.message_id}`) } : {}),
        },
      },
      metadata: {
        raw_platform_event_id: this.rawId,
        platform_user_id: String(query.from.id),
        ...(message ? { platform_thread_id: String(message.chat.id), platform_message_id: String(message.message_id) } : {}),
      },
    });
    return true;
  }

  /** The bot's own membership (telegram-line.md A5.6): block/unblock in private chats, added/removed in groups. */
  private membership(update: NonNullable<TelegramUpdate["my_chat_member"]>): boolean {
    const before = update.old_chat_member.status;
    const after = update.new_chat_member.status;
    const present = (status: string) => status === "member" || status === "administrator" || status === "creator";
    const gone = (status: string) => status === "left" || status === "kicked";
    const key = `member:${update.chat.id}:${update.date}:${after}`;
    const common = {
      timestamp: update.date,
      metadata: { raw_platform_event_id: this.rawId, platform_user_id: String(update.from.id), platform_thread_id: String(update.chat.id) },
    };
    const data = {
      contact_id: this.b.contactId(update.from.id),
      conversation_id: this.b.conversationId(update.chat.id),
      contact: userProfile(update.from),
    };
    if (update.chat.type === "private") {
      if (present(before) && after === "kicked") this.b.event("messaging.unfollow", { key, ...common, data });
      else if (before === "kicked" && present(after)) this.b.event("messaging.follow", { key, ...common, data: { ...data, unblocked: true } });
      else return false;
      return true;
    }
    if (gone(before) && present(after)) {
      this.b.event("messaging.conversation.created", { key, ...common, data: { ...data, source: "added_to_chat" } });
    } else if (present(before) && gone(after)) {
      this.b.event("messaging.conversation.closed", {
        key, ...common,
        data: { ...data, closed_by: after === "kicked" ? "removed_bot" : "bot_left_or_removed" },
      });
    } else {
      return false;
    }
    return true;
  }

  /** The content of a message as our `Message`; captions are the text (Telegram has no text on media). */
  private content(message: TelegramMessage, thread: Thread, key: string, direction: Message["direction"]): Message {
    const { type, attachments } = mediaOf(message);
    const text = message.text ?? message.caption;
    const entities = message.entities ?? message.caption_entities ?? [];
    const mentions = entities
      .filter((entity) => entity.type === "mention" || entity.type === "text_mention")
      .map((entity) => ({
        offset: entity.offset,
        length: entity.length,
        ...(entity.user ? { platform_user_id: String(entity.user.id) } : {}),
      }));
    const unsupported = type === "unsupported" ? UNSUPPORTED_CONTENT.find((field) => field in message) : undefined;
    const location = message.venue?.location ?? message.location;
    const contact = message.contact;
    return {
      id: this.b.messageId(key),
      type,
      direction,
      ...(text === undefined ? {} : { text }),
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(message.reply_to_message ? { reply_to: { message_id: this.b.messageId(`${thread.key}:${message.reply_to_message.message_id}`) } } : {}),
      ...(location
        ? {
            location: {
              latitude: location.latitude,
              longitude: location.longitude,
              ...(message.venue ? { name: message.venue.title } : {}),
              ...(message.venue?.address ? { address: message.venue.address } : {}),
            },
          }
        : {}),
      ...(contact
        ? {
            contacts: [
              {
                name: [contact.first_name, contact.last_name].filter(Boolean).join(" "),
                first_name: contact.first_name,
                ...(contact.last_name === undefined ? {} : { last_name: contact.last_name }),
                phones: [contact.phone_number],
                ...(contact.user_id === undefined ? {} : { platform_user_id: String(contact.user_id) }),
                ...(contact.vcard === undefined ? {} : { vcard: contact.vcard }),
              },
            ],
          }
        : {}),
      ...(mentions.length > 0 ? { mentions } : {}),
      ...(message.forward_origin ? { forwarded: true } : {}),
      ...(type === "unsupported" ? { unsupported_reason: `telegram "${unsupported ?? "unknown"}" content has no Message representation` } : {}),
    };
  }
}

function mediaOf(message: TelegramMessage): { type: Message["type"]; attachments: Attachment[] } {
  const file = (type: Attachment["type"], ref: NonNullable<TelegramMessage["document"]>): Attachment => ({
    type,
    media_id: ref.file_id,
    ...(ref.mime_type === undefined ? {} : { mime_type: ref.mime_type }),
    ...(ref.file_name === undefined ? {} : { file_name: ref.file_name }),
    ...(ref.title === undefined ? {} : { title: ref.title }),
    ...(ref.file_size === undefined ? {} : { size: ref.file_size }),
    ...(ref.width === undefined ? {} : { width: ref.width }),
    ...(ref.height === undefined ? {} : { height: ref.height }),
    ...(ref.duration === undefined ? {} : { duration: ref.duration }),
    ...(ref.emoji === undefined ? {} : { emoji: ref.emoji }),
    ...(message.caption === undefined ? {} : { caption: message.caption }),
  });
  // several sizes of one photo arrive; the last is the largest (Bot API PhotoSize)
  const photo = message.photo?.at(-1);
  if (photo) return { type: "image", attachments: [file("image", photo)] };
  // animation comes with `document` set too, for old clients: check it first so it is not a file
  if (message.animation) return { type: "video", attachments: [file("animation", message.animation)] };
  if (message.video) return { type: "video", attachments: [file("video", message.video)] };
  if (message.video_note) return { type: "video", attachments: [file("video", message.video_note)] };
  if (message.voice) return { type: "voice", attachments: [file("voice", message.voice)] };
  if (message.audio) return { type: "audio", attachments: [file("audio", message.audio)] };
  if (message.document) return { type: "file", attachments: [file("file", message.document)] };
  if (message.sticker) return { type: "sticker", attachments: [file("sticker", message.sticker)] };
  if (message.venue || message.location) return { type: "location", attachments: [] };
  if (message.contact) return { type: "contact", attachments: [] };
  if (message.text !== undefined) return { type: "text", attachments: [] };
  return { type: "unsupported", attachments: [] };
}

/** The field naming a service message (no user content), or undefined for a content message. */
function serviceKind(message: TelegramMessage): string | undefined {
  if (mediaOf(message).type !== "unsupported" || message.caption !== undefined) return undefined;
  if (UNSUPPORTED_CONTENT.some((field) => field in message)) return undefined;
  return Object.keys(message).find((field) => !COMMON_FIELDS.has(field)) ?? "empty";
}

/** `chat:message` of the channel post a discussion-group message replies to, if it does. */
function discussedPost(message: TelegramMessage): string | undefined {
  const parent = message.reply_to_message;
  if (parent?.is_automatic_forward !== true) return undefined;
  const origin = parent.forward_origin;
  if (origin?.chat !== undefined && origin.message_id !== undefined) return `${origin.chat.id}:${origin.message_id}`;
  return `${parent.chat.id}:${parent.message_id}`;
}

/**
 * Business chats are private chats with the customer, so chat.id is the customer: a message from anyone else
 * (the owner) or sent by the owner's bot is outgoing (telegram-line.md A5.7).
 */
function businessDirection(message: TelegramMessage): Message["direction"] {
  if (message.sender_business_bot !== undefined) return "outbound";
  return message.from !== undefined && message.from.id !== message.chat.id ? "outbound" : "inbound";
}

function reactionKey(reaction: TelegramReaction): string {
  if (reaction.type === "emoji") return `emoji:${reaction.emoji ?? ""}`;
  if (reaction.type === "custom_emoji") return `custom:${reaction.custom_emoji_id ?? ""}`;
  return reaction.type;
}

function reactionLabel(reaction: TelegramReaction): { emoji?: string; name?: string } {
  if (reaction.type === "emoji" && reaction.emoji !== undefined) return { emoji: reaction.emoji };
  if (reaction.type === "custom_emoji") return { name: `custom_emoji:${reaction.custom_emoji_id ?? ""}` };
  return { name: reaction.type };
}

function userProfile(user: TelegramUser): Profile {
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
  return {
    ...(name === "" ? {} : { name }),
    ...(user.username === undefined ? {} : { username: user.username }),
    ...(user.language_code === undefined ? {} : { language: user.language_code }),
  };
}

function chatProfile(chat: TelegramChat): Profile {
  const name = chat.title ?? [chat.first_name, chat.last_name].filter(Boolean).join(" ");
  return {
    ...(name === "" ? {} : { name }),
    ...(chat.username === undefined ? {} : { username: chat.username }),
  };
}

function majorUnits(amount: number, currency: string): number {
  const exponent = CURRENCY_EXPONENTS[currency.toUpperCase()] ?? 2;
  return amount / 10 ** exponent;
}
