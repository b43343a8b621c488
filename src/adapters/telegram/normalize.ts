import type { ItemMapper, NormalizeContext, NormalizeResult } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { defined, withFields } from "../../core/objects";
import {
  businessDirection,
  chatProfile,
  contentFields,
  contentOf,
  discussedPost,
  majorUnits,
  serviceKind,
  threadOf,
  userProfile,
  type Message,
  type Profile,
  type Thread,
} from "./content";
import type { UpdateHandler } from "./kinds";
import { callbackEvents, reactionEvents } from "./interactions";
import { botMembershipEvents, chatMemberEvents, serviceMemberEvents } from "./members";
import {
  UPDATE_KINDS,
  withoutNulls,
  type TelegramBusinessMessagesDeleted,
  type TelegramCallbackQuery,
  type TelegramChatMemberUpdated,
  type TelegramMessage,
  type TelegramReactionUpdated,
  type TelegramUpdate,
} from "./schema";

const PLATFORM = "telegram";

/**
 * Community-known ids that stand for "someone posting as a chat" (anonymous admins, linked-channel forwards):
 * for these `from` holds "a fake sender user in non-channel chats" and `sender_chat` the real sender
 * (https://core.telegram.org/bots/api#message), so the contact is the chat.
 */
const PSEUDO_SENDERS = new Set([777000, 1087968824, 136817688]);

const START_COMMAND = /^\/start(?:@\w+)?(?:\s+(\S.*))?$/s;

/**
 * One update per body. Its kind is the payload key besides `update_id`; the Bot API promises at most one, but the
 * body is what it is: the first kind that has a mapping is mapped (the first kind when none has), and every other
 * kind is reported unhandled, never dropped.
 */
export function normalizeTelegram(update: TelegramUpdate, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  const rawId = String(update.update_id);
  const fields = update as Record<string, unknown>;
  const keys = Object.keys(update);
  // the kind we map comes first when the body has an unknown one beside it (a newer Bot API kind, a stray key)
  let first: string | undefined;
  let known: ReturnType<typeof UPDATE_KINDS.get>;
  let mappedKind: string | undefined;
  for (const key of keys) {
    if (key === "update_id") continue;
    first ??= key;
    known = UPDATE_KINDS.get(key);
    if (known !== undefined) {
      mappedKind = key;
      break;
    }
  }
  const kind = mappedKind ?? first ?? "empty";
  const raw = Object.hasOwn(fields, kind) ? fields[kind] : update;
  const options = known === undefined ? { kind, rawId } : { kind, rawId, schema: known.schema, prepare: withoutNulls };
  b.item(raw, options, (payload) => {
    const mapped = known !== undefined && HANDLERS[known.handler](new UpdateMapper(b, rawId, kind), payload as never);
    if (!mapped) b.mapper({ kind, raw, key: rawId, metadata: { raw_platform_event_id: rawId } }).unhandled();
  });
  for (const other of keys) {
    if (other === "update_id" || other === kind) continue;
    const reason = `a telegram update carries one kind; "${other}" came beside "${kind}" in update ${rawId} and is not mapped`;
    b.unhandled(other, fields[other], { raw_platform_event_id: rawId, reason });
  }
  return b.result();
}

/** Each mapped update kind; returns false when the update has no mapping, so it is reported unhandled. */
const HANDLERS = {
  message: (u: UpdateMapper, message: TelegramMessage) => u.incoming(message),
  business_message: (u: UpdateMapper, message: TelegramMessage) => u.business(message),
  edited_message: (u: UpdateMapper, message: TelegramMessage) => u.edited(message, "inbound"),
  edited_business_message: (u: UpdateMapper, message: TelegramMessage) => u.edited(message, businessDirection(message)),
  deleted_business_messages: (u: UpdateMapper, deleted: TelegramBusinessMessagesDeleted) => u.deletedBusiness(deleted),
  message_reaction: (u: UpdateMapper, reaction: TelegramReactionUpdated) => u.reaction(reaction),
  callback_query: (u: UpdateMapper, query: TelegramCallbackQuery) => u.callback(query),
  my_chat_member: (u: UpdateMapper, update: TelegramChatMemberUpdated) => u.membership(update),
  chat_member: (u: UpdateMapper, update: TelegramChatMemberUpdated) => u.chatMember(update),
} as const satisfies Record<UpdateHandler, (u: UpdateMapper, payload: never) => unknown>;

/** A message's mapper, with the contact and conversation every event of it names. */
interface MessageItem {
  readonly m: ItemMapper;
  readonly thread: Thread;
  readonly key: string;
  readonly data: { contact_id: string; conversation_id: string; contact: Profile };
}

class UpdateMapper {
  constructor(
    private readonly b: EnvelopeBuilder,
    private readonly rawId: string,
    private readonly kind: string,
  ) {}

  private messageKey(thread: Thread, message: TelegramMessage): string {
    // message_id is 0 for ephemeral or scheduled messages; then the update itself is the only stable key
    if (message.message_id === 0)
      return `${thread.key}:ephemeral:${message.ephemeral_message_id ?? `update-${this.rawId}`}`;
    return `${thread.key}:${message.message_id}`;
  }

  /** The person behind a message; pseudo-senders and channel posts resolve to the chat they speak for. */
  private sender(message: TelegramMessage): { id: number; profile: Profile } {
    const from = message.from;
    if (from !== undefined && !PSEUDO_SENDERS.has(from.id)) return { id: from.id, profile: userProfile(from) };
    const chat = message.sender_chat ?? message.chat;
    return { id: chat.id, profile: chatProfile(chat) };
  }

  /** Key, time and metadata of a message, built once; `contact` is who the events are about. */
  private item(message: TelegramMessage, contact: { id: number; profile: Profile }): MessageItem {
    const thread = threadOf(message);
    const key = this.messageKey(thread, message);
    const m = this.b.mapper({
      kind: this.kind,
      raw: message,
      key,
      timestamp: message.date,
      metadata: {
        raw_platform_event_id: this.rawId,
        platform_user_id: contact.id === thread.chat.id ? thread.chatId : String(contact.id),
        platform_thread_id: thread.chatId,
        platform_message_id: String(message.message_id),
      },
    });
    const data = {
      contact_id: this.b.contactId(contact.id),
      conversation_id: this.b.conversationId(thread.key),
      contact: contact.profile,
    };
    return { m, thread, key, data };
  }

  private content(
    item: MessageItem,
    message: TelegramMessage,
    direction: Message["direction"],
    fields?: ReturnType<typeof contentFields>,
  ): Message {
    return contentOf(this.b, message, item.thread, item.key, direction, fields);
  }

  incoming(message: TelegramMessage): boolean {
    const item = this.item(message, this.sender(message));
    const { m, data } = item;
    const fields = contentFields(message);
    const service = serviceKind(message, fields);
    if (service !== undefined) return this.service(message, item, service);

    const content = this.content(item, message, "inbound", fields);
    if (message.reply_to_story) {
      const story = message.reply_to_story;
      m.emit(
        "messaging.story_reply.received",
        withFields(data, { message: content, story: { id: `${story.chat.id}:${story.id}` } }),
      );
      return true;
    }
    const post = discussedPost(message);
    if (post !== undefined) {
      // a reply to a channel post auto-forwarded into its discussion group is a comment on that post
      m.emit("messaging.comment.created", {
        contact_id: data.contact_id,
        contact: data.contact,
        comment: { id: item.key, text: content.text ?? "", post_id: post },
      });
      return true;
    }
    m.emit("messaging.message.received", {
      contact_id: data.contact_id,
      conversation_id: data.conversation_id,
      contact: data.contact,
      message: content,
    });

    // the regex only for what can match it: most messages are not commands
    const start =
      message.chat.type === "private" && message.text?.startsWith("/start") === true
        ? START_COMMAND.exec(message.text)
        : null;
    if (start !== null) {
      const ref = start[1]?.trim();
      m.emit(
        "messaging.conversation.created",
        withFields(data, ref ? { source: "start", referral: { source: "deep_link", ref } } : { source: "start" }),
      );
    }
    const shared = message.contact;
    if (shared?.user_id !== undefined && shared.user_id === message.from?.id) {
      // the user shared their own number (request_contact button): the contact record gains a phone
      m.emit("crm.contact.updated", {
        contact_id: data.contact_id,
        conversation_id: data.conversation_id,
        changes: { phone: shared.phone_number },
      });
    }
    return true;
  }

  /** Service messages with a catalogue fit; the rest are unhandled under `message.<field>`. */
  private service(message: TelegramMessage, item: MessageItem, kind: string): boolean {
    const { m, data } = item;
    const paid = message.successful_payment;
    if (paid) {
      const total = majorUnits(paid.total_amount, paid.currency);
      const order = {
        id: paid.invoice_payload,
        status: "paid",
        currency: paid.currency,
        total,
        payment_id: paid.telegram_payment_charge_id,
        items: [],
      };
      m.emit(
        "commerce.order.created",
        { contact_id: data.contact_id, conversation_id: data.conversation_id, order },
        { key: `payment:${paid.telegram_payment_charge_id}` },
      );
      return true;
    }
    const refunded = message.refunded_payment;
    if (refunded) {
      const order = { id: refunded.invoice_payload, status: "refunded" };
      m.emit(
        "commerce.order.updated",
        { contact_id: data.contact_id, conversation_id: data.conversation_id, order },
        { key: `refund:${refunded.telegram_payment_charge_id}` },
      );
      return true;
    }
    const webApp = message.web_app_data;
    if (webApp) {
      m.emit(
        "messaging.postback",
        withFields(data, { postback: { payload: webApp.data, ...defined({ title: webApp.button_text }) } }),
      );
      return true;
    }
    // a KeyboardButtonRequestUsers / RequestChat button answered (https://core.telegram.org/bots/api#usersshared):
    // the bot's own request_id is the button's payload, the shared ids its parameters
    const users = message.users_shared;
    if (users) {
      const params = { user_ids: users.users.map((user) => String(user.user_id)).join(",") };
      m.emit("messaging.postback", withFields(data, { postback: { payload: String(users.request_id), params } }));
      return true;
    }
    const chat = message.chat_shared;
    if (chat) {
      const params = { chat_id: String(chat.chat_id), ...defined({ title: chat.title, username: chat.username }) };
      m.emit("messaging.postback", withFields(data, { postback: { payload: String(chat.request_id), params } }));
      return true;
    }
    if (message.write_access_allowed) {
      // the user allowed the bot to write to them (a Mini App or attachment-menu request, or a login widget):
      // https://core.telegram.org/bots/api#writeaccessallowed
      m.emit("messaging.follow", data);
      return true;
    }
    if (message.group_chat_created) {
      m.emit("messaging.conversation.created", withFields(data, { source: "group_created" }));
      return true;
    }
    if (serviceMemberEvents(this.b, m, message, item.key, data.conversation_id)) return true;
    m.unhandled(`telegram service message "${kind}" has no catalogue type`, `message.${kind}`);
    return true;
  }

  business(message: TelegramMessage): boolean {
    if (businessDirection(message) === "inbound") return this.incoming(message);
    // outgoing: the owner (or their bot) wrote to the customer, whose id is the private chat's id
    const item = this.item(message, { id: message.chat.id, profile: chatProfile(message.chat) });
    item.m.emit("messaging.message.sent", withFields(item.data, { message: this.content(item, message, "outbound") }));
    return true;
  }

  edited(message: TelegramMessage, direction: Message["direction"]): boolean {
    const contact =
      direction === "outbound" ? { id: message.chat.id, profile: chatProfile(message.chat) } : this.sender(message);
    const item = this.item(message, contact);
    const editedAt = message.edit_date ?? message.date;
    const content = this.content(item, message, direction);
    // edits can repeat with no visible change ("may at times be triggered by changes to message fields that are
    // either unavailable or not actively used by your bot", https://core.telegram.org/bots/api#update): the edit
    // time tells them apart
    item.m.emit(
      "messaging.message.updated",
      withFields(item.data, { message: withFields(content, { edited_at: this.b.timestamp(editedAt) }) }),
      { key: `${item.key}:edit:${editedAt}`, timestamp: editedAt },
    );
    return true;
  }

  deletedBusiness(deleted: TelegramBusinessMessagesDeleted): boolean {
    const thread = threadOf(deleted);
    const m = this.b.mapper({
      kind: this.kind,
      raw: deleted,
      key: `${thread.key}:deleted`,
      metadata: {
        raw_platform_event_id: this.rawId,
        platform_user_id: String(deleted.chat.id),
        platform_thread_id: String(deleted.chat.id),
      },
    });
    const around = {
      contact_id: this.b.contactId(deleted.chat.id),
      conversation_id: this.b.conversationId(thread.key),
      contact: chatProfile(deleted.chat),
    };
    for (const id of deleted.message_ids) {
      const key = `${thread.key}:${id}`;
      m.emit("messaging.message.deleted", withFields(around, { message_id: this.b.messageId(key) }), {
        key: `${key}:deleted`,
        metadata: { platform_message_id: String(id) },
      });
    }
    return true;
  }

  reaction(update: TelegramReactionUpdated): boolean {
    return reactionEvents(this.b, this.rawId, this.kind, update);
  }

  callback(query: TelegramCallbackQuery): boolean {
    return callbackEvents(this.b, this.rawId, this.kind, query);
  }

  chatMember(update: TelegramChatMemberUpdated): boolean {
    chatMemberEvents(this.b, this.rawId, this.kind, update);
    return true;
  }

  membership(update: TelegramChatMemberUpdated): boolean {
    return botMembershipEvents(this.b, this.rawId, this.kind, update);
  }
}
