import type { EnvelopeBuilder, ItemMapper } from "../../core";
import { defined, withFields } from "../../core/objects";
import { userProfile } from "./content";
import type { TelegramChatMemberUpdated, TelegramMessage, TelegramUser } from "./schema";

/*
 * Other people joining and leaving groups, as the catalogue extensions `messaging.member.joined` / `.left`:
 * `chat_member` updates (https://core.telegram.org/bots/api#chatmemberupdated; delivered only to admin bots that
 * list the kind in `allowed_updates`) and the `new_chat_members` / `left_chat_member` service messages
 * (https://core.telegram.org/bots/api#message). The bot's own membership (`my_chat_member`) is `botMembershipEvents`, at the end.
 */

type Status = TelegramChatMemberUpdated["new_chat_member"];

/** In the chat: a member, an admin, the owner, or a restricted user who is still a member. */
export function isPresent(member: Pick<Status, "status" | "is_member">): boolean {
  const { status } = member;
  return (
    status === "member" ||
    status === "administrator" ||
    status === "creator" ||
    (status === "restricted" && member.is_member === true)
  );
}

export function isGone(member: Pick<Status, "status" | "is_member">): boolean {
  return (
    member.status === "left" ||
    member.status === "kicked" ||
    (member.status === "restricted" && member.is_member === false)
  );
}

/** A `chat_member` update: joined or left; a change of rights only is reported unhandled with the reason. */
export function chatMemberEvents(
  b: EnvelopeBuilder,
  rawId: string,
  kind: string,
  update: TelegramChatMemberUpdated,
): void {
  const member = update.new_chat_member.user;
  const status = update.new_chat_member.status;
  const m = b.mapper({
    kind,
    raw: update,
    key: `member:${update.chat.id}:${member.id}:${update.date}:${status}`,
    timestamp: update.date,
    metadata: {
      raw_platform_event_id: rawId,
      platform_user_id: String(member.id),
      platform_thread_id: String(update.chat.id),
    },
  });
  const data = {
    contact_id: b.contactId(member.id),
    conversation_id: b.conversationId(update.chat.id),
    contact: userProfile(member),
  };
  // `from` performed the change: someone else adding or removing the member is named, the member themself is not
  const by = update.from.id === member.id ? undefined : b.contactId(update.from.id);
  if (!isPresent(update.old_chat_member) && isPresent(update.new_chat_member)) {
    m.emit("messaging.member.joined", withFields(data, defined({ added_by: by })));
  } else if (isPresent(update.old_chat_member) && isGone(update.new_chat_member)) {
    m.emit("messaging.member.left", withFields(data, defined({ removed_by: by })));
  } else {
    m.unhandled(
      `telegram chat_member "${update.old_chat_member.status}" -> "${status}" changes a member's rights only; no catalogue type`,
    );
  }
}

/**
 * `new_chat_members` / `left_chat_member` service messages: one event per person, keyed by the message and the
 * person. `from` is who added or removed them when it is someone else. Returns false for any other message.
 */
export function serviceMemberEvents(
  b: EnvelopeBuilder,
  m: ItemMapper,
  message: TelegramMessage,
  messageKey: string,
  conversationId: string,
): boolean {
  const by = (member: TelegramUser) =>
    message.from === undefined || message.from.id === member.id ? undefined : b.contactId(message.from.id);
  const about = (member: TelegramUser) => ({
    contact_id: b.contactId(member.id),
    conversation_id: conversationId,
    contact: userProfile(member),
  });
  const extra = (member: TelegramUser, what: string) => ({
    key: `${messageKey}:${what}:${member.id}`,
    metadata: { platform_user_id: String(member.id) },
  });
  if (message.new_chat_members !== undefined) {
    for (const member of message.new_chat_members) {
      m.emit(
        "messaging.member.joined",
        withFields(about(member), defined({ added_by: by(member) })),
        extra(member, "joined"),
      );
    }
    return true;
  }
  const left = message.left_chat_member;
  if (left === undefined) return false;
  m.emit("messaging.member.left", withFields(about(left), defined({ removed_by: by(left) })), extra(left, "left"));
  return true;
}

/**
 * The bot's own membership (https://core.telegram.org/bots/api#chatmemberupdated; `my_chat_member` "for private
 * chats … is received only when the bot is blocked or unblocked by the user"): block/unblock in private chats,
 * added/removed in groups and channels.
 */
export function botMembershipEvents(
  b: EnvelopeBuilder,
  rawId: string,
  kind: string,
  update: TelegramChatMemberUpdated,
): boolean {
  const before = update.old_chat_member;
  const after = update.new_chat_member.status;
  const m = b.mapper({
    kind: kind,
    raw: update,
    key: `member:${update.chat.id}:${update.date}:${after}`,
    timestamp: update.date,
    metadata: {
      raw_platform_event_id: rawId,
      platform_user_id: String(update.from.id),
      platform_thread_id: String(update.chat.id),
    },
  });
  const data = {
    contact_id: b.contactId(update.from.id),
    conversation_id: b.conversationId(update.chat.id),
    contact: userProfile(update.from),
  };
  if (update.chat.type === "private") {
    if (isPresent(before) && after === "kicked") m.emit("messaging.unfollow", data);
    else if (before.status === "kicked" && isPresent(update.new_chat_member))
      m.emit("messaging.follow", withFields(data, { unblocked: true }));
    else return false;
  } else if (isGone(before) && isPresent(update.new_chat_member)) {
    m.emit("messaging.conversation.created", withFields(data, { source: "added_to_chat" }));
  } else if (isPresent(before) && isGone(update.new_chat_member)) {
    m.emit(
      "messaging.conversation.closed",
      withFields(data, { closed_by: after === "kicked" ? "removed_bot" : "bot_left_or_removed" }),
    );
  } else {
    return false;
  }
  return true;
}
