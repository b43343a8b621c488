import type { EnvelopeBuilder } from "../../core";
import { defined, withFields } from "../../core/objects";
import { chatProfile, reactionKey, reactionLabel, threadOf, userProfile } from "./content";
import type { TelegramCallbackQuery, TelegramReactionUpdated } from "./schema";

/*
 * The updates that are about a message rather than a message: reactions (message_reaction) and button presses
 * (callback_query). Split from normalize.ts, whose UpdateMapper hands these kinds here.
 */

/** A reaction update: one event per reaction added or removed between the old and new sets. */
export function reactionEvents(
  b: EnvelopeBuilder,
  rawId: string,
  kind: string,
  update: TelegramReactionUpdated,
): boolean {
  const actor = update.user
    ? { id: update.user.id, profile: userProfile(update.user) }
    : update.actor_chat
      ? { id: update.actor_chat.id, profile: chatProfile(update.actor_chat) }
      : undefined;
  const actorId = actor?.id ?? update.chat.id;
  const target = `${update.chat.id}:${update.message_id}`;
  const m = b.mapper({
    kind: kind,
    raw: update,
    key: target,
    timestamp: update.date,
    metadata: {
      raw_platform_event_id: rawId,
      platform_user_id: String(actorId),
      platform_thread_id: String(update.chat.id),
      platform_message_id: String(update.message_id),
    },
  });
  const around = {
    contact_id: b.contactId(actorId),
    conversation_id: b.conversationId(update.chat.id),
    ...defined({ contact: actor?.profile }),
  };
  // old and new are full sets, not deltas (https://core.telegram.org/bots/api#messagereactionupdated)
  const oldKeys = new Set(update.old_reaction.map(reactionKey));
  const newKeys = new Set(update.new_reaction.map(reactionKey));
  const changes = [
    ...update.new_reaction
      .filter((r) => !oldKeys.has(reactionKey(r)))
      .map((r) => ["messaging.reaction.added", r] as const),
    ...update.old_reaction
      .filter((r) => !newKeys.has(reactionKey(r)))
      .map((r) => ["messaging.reaction.removed", r] as const),
  ];
  for (const [type, reaction] of changes) {
    const key = `${target}:${actorId}:${update.date}:${reactionKey(reaction)}`;
    m.emit(type, withFields(around, { reaction: { message_id: b.messageId(target), ...reactionLabel(reaction) } }), {
      key,
    });
  }
  return true;
}

/** A button press: a postback, titled by its button when the message still shows it. */
export function callbackEvents(b: EnvelopeBuilder, rawId: string, kind: string, query: TelegramCallbackQuery): boolean {
  const payload = query.data ?? query.game_short_name;
  if (payload === undefined) {
    // the Bot API documents both as optional ("data … Be aware that the message originated the query can contain
    // no callback buttons with this data", https://core.telegram.org/bots/api#callbackquery): say which is missing
    const reason = `telegram callback_query ${query.id} has neither "data" nor "game_short_name", so it carries no postback payload`;
    b.mapper({
      kind: kind,
      raw: query,
      key: `callback:${query.id}`,
      metadata: { raw_platform_event_id: rawId },
    }).unhandled(reason);
    return true;
  }
  const message = query.message;
  const threadKey = message
    ? threadOf(message).key
    : `inline:${query.inline_message_id ?? query.chat_instance ?? query.id}`;
  const button = message?.reply_markup?.inline_keyboard
    ?.flat()
    .find((candidate) => candidate.callback_data === payload);
  // callback queries carry no time of their own: the envelope takes the receive time
  const m = b.mapper({
    kind: kind,
    raw: query,
    key: `callback:${query.id}`,
    metadata: {
      raw_platform_event_id: rawId,
      platform_user_id: String(query.from.id),
      ...defined({
        platform_thread_id: message && String(message.chat.id),
        platform_message_id: message && String(message.message_id),
      }),
    },
  });
  const postback = {
    payload,
    ...defined({
      title: button?.text,
      message_id: message && b.messageId(`${threadKey}:${message.message_id}`),
    }),
  };
  m.emit("messaging.postback", {
    contact_id: b.contactId(query.from.id),
    conversation_id: b.conversationId(threadKey),
    contact: userProfile(query.from),
    postback,
  });
  return true;
}
