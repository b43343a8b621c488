import { z } from "zod";
import type { UpdateHandler } from "./kinds";

/*
 * The parts of a Telegram `Update` that normalise reads (https://core.telegram.org/bots/api#update).
 * Loose objects: Telegram adds fields with every Bot API release and those must not break parsing.
 * Ids are JSON numbers of "at most 52 significant bits" (https://core.telegram.org/bots/api#user), so JS numbers
 * are exact.
 */

export const User = z.looseObject({
  id: z.number().int(),
  is_bot: z.boolean().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  username: z.string().optional(),
  language_code: z.string().optional(),
});

export const Chat = z.looseObject({
  id: z.number().int(),
  type: z.string(),
  title: z.string().optional(),
  username: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
});

export const FileRef = z.looseObject({
  file_id: z.string(),
  file_unique_id: z.string().optional(),
  file_size: z.number().int().optional(),
  file_name: z.string().optional(),
  mime_type: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  duration: z.number().optional(),
  title: z.string().optional(),
  performer: z.string().optional(),
  emoji: z.string().optional(),
});

export const Entity = z.looseObject({
  type: z.string(),
  offset: z.number().int(),
  length: z.number().int(),
  user: User.optional(),
});

export const Location = z.looseObject({ latitude: z.number(), longitude: z.number() });

const InlineKeyboardButton = z.looseObject({ text: z.string(), callback_data: z.string().optional() });

export const MessageOrigin = z.looseObject({
  type: z.string(),
  chat: Chat.optional(),
  message_id: z.number().int().optional(),
});

/**
 * A time as Telegram sends it (Unix seconds). Any number or string is read, so a value that is not a time costs
 * only the time (the receive time stands in, with what was sent in `metadata.platform_timestamp`), not the update.
 */
const TelegramTime = z.union([z.number(), z.string()]);

const MessageFields = {
  message_id: z.number().int(),
  date: TelegramTime,
  chat: Chat,
  from: User.optional(),
  sender_chat: Chat.optional(),
  message_thread_id: z.number().int().optional(),
  ephemeral_message_id: z.union([z.number(), z.string()]).optional(),
  business_connection_id: z.string().optional(),
  sender_business_bot: User.optional(),
  guest_query_id: z.string().optional(),
  edit_date: TelegramTime.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(Entity).optional(),
  caption_entities: z.array(Entity).optional(),
  photo: z.array(FileRef).optional(),
  video: FileRef.optional(),
  video_note: FileRef.optional(),
  animation: FileRef.optional(),
  voice: FileRef.optional(),
  audio: FileRef.optional(),
  document: FileRef.optional(),
  sticker: FileRef.optional(),
  location: Location.optional(),
  venue: z.looseObject({ location: Location, title: z.string(), address: z.string().optional() }).optional(),
  contact: z
    .looseObject({
      phone_number: z.string(),
      first_name: z.string(),
      last_name: z.string().optional(),
      user_id: z.number().int().optional(),
      vcard: z.string().optional(),
    })
    .optional(),
  forward_origin: MessageOrigin.optional(),
  /** before Bot API 7.0 every forwarded message had it; `forward_origin` replaced it and its four siblings */
  forward_date: z.number().int().optional(),
  is_automatic_forward: z.boolean().optional(),
  reply_to_story: z.looseObject({ chat: Chat, id: z.number().int() }).optional(),
  reply_markup: z.looseObject({ inline_keyboard: z.array(z.array(InlineKeyboardButton)).optional() }).optional(),
  successful_payment: z
    .looseObject({
      currency: z.string(),
      total_amount: z.number().int(),
      invoice_payload: z.string(),
      telegram_payment_charge_id: z.string(),
      provider_payment_charge_id: z.string().optional(),
    })
    .optional(),
  refunded_payment: z
    .looseObject({
      currency: z.string(),
      total_amount: z.number().int(),
      invoice_payload: z.string(),
      telegram_payment_charge_id: z.string(),
    })
    .optional(),
  web_app_data: z.looseObject({ data: z.string(), button_text: z.string().optional() }).optional(),
  users_shared: z
    .looseObject({ request_id: z.number().int(), users: z.array(z.looseObject({ user_id: z.number().int() })) })
    .optional(),
  chat_shared: z
    .looseObject({
      request_id: z.number().int(),
      chat_id: z.number().int(),
      title: z.string().optional(),
      username: z.string().optional(),
    })
    .optional(),
  write_access_allowed: z.looseObject({}).optional(),
  group_chat_created: z.literal(true).optional(),
  new_chat_members: z.array(User).optional(),
  left_chat_member: User.optional(),
  /** a forwarded story (https://core.telegram.org/bots/api#story); `{}` before Bot API 7.1 added `chat` and `id` */
  story: z.looseObject({ chat: Chat.optional(), id: z.number().int().optional() }).optional(),
};

/** A replied-to message: same shape, never nested further (Bot API: it "will not contain further reply_to_message"). */
export const RepliedMessage = z.looseObject(MessageFields);

export const Message = z.looseObject({ ...MessageFields, reply_to_message: RepliedMessage.optional() });
export type TelegramMessage = z.output<typeof Message>;

export const ReactionType = z.looseObject({
  type: z.string(),
  emoji: z.string().optional(),
  custom_emoji_id: z.string().optional(),
});
export type TelegramReaction = z.output<typeof ReactionType>;

const MessageReactionUpdated = z.looseObject({
  chat: Chat,
  message_id: z.number().int(),
  user: User.optional(),
  actor_chat: Chat.optional(),
  date: TelegramTime,
  old_reaction: z.array(ReactionType),
  new_reaction: z.array(ReactionType),
});

/** The message a callback button was on (a `MaybeInaccessibleMessage`: `date` 0 when inaccessible). */
export const CallbackMessage = z.looseObject({ ...MessageFields, date: TelegramTime });

const CallbackQuery = z.looseObject({
  id: z.string(),
  from: User,
  message: CallbackMessage.optional(),
  inline_message_id: z.string().optional(),
  chat_instance: z.string().optional(),
  data: z.string().optional(),
  game_short_name: z.string().optional(),
});

export const ChatMember = z.looseObject({ status: z.string(), user: User, is_member: z.boolean().optional() });

export const ChatMemberUpdated = z.looseObject({
  chat: Chat,
  from: User,
  date: TelegramTime,
  old_chat_member: ChatMember,
  new_chat_member: ChatMember,
});

const BusinessMessagesDeleted = z.looseObject({
  business_connection_id: z.string(),
  chat: Chat,
  message_ids: z.array(z.number().int()),
});

/** Deeper than this a payload is left as it is: its schema refuses it or never reads that far. */
const NULL_DEPTH = 32;

/**
 * The value with every `null` object field removed. The Bot API omits an optional field it has no value for, but
 * test tools and proxies often send it as `null`: read that as absent rather than refuse the update. A required
 * field sent as `null` is then missing and refused as before. Bounded in depth; array items stay as they are.
 * Only an update that has a `null` field is copied (`hasNullField`, which allocates nothing): Telegram itself
 * never sends one, so the usual update goes to its schema as it came.
 */
export function withoutNulls(value: unknown, depth = 0): unknown {
  if (!hasNullField(value, depth)) return value;
  return copyWithoutNulls(value, depth);
}

function copyWithoutNulls(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== "object" || depth > NULL_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => copyWithoutNulls(item, depth + 1));
  const kept = Object.entries(value).filter(([, field]) => field !== null);
  return Object.fromEntries(kept.map(([key, field]) => [key, copyWithoutNulls(field, depth + 1)]));
}

/** Whether `copyWithoutNulls` would drop anything: an object field that is `null`, within the same depth bound. */
function hasNullField(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object" || depth > NULL_DEPTH) return false;
  return hasNullIn(value, depth);
}

/**
 * `hasNullField` of an object at `depth` ≤ `NULL_DEPTH`. Called only for objects, so the many primitive fields
 * cost no call, and `Object.hasOwn` (the walk takes own keys, as `Object.entries` does) is asked only of the
 * fields that matter: a `null` or an object.
 */
function hasNullIn(value: object, depth: number): boolean {
  const deeper = depth < NULL_DEPTH;
  if (Array.isArray(value)) {
    // items are kept as they are, `null` ones too: only objects inside them are looked into
    for (const item of value as unknown[])
      if (deeper && typeof item === "object" && item !== null && hasNullIn(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== "object") continue;
    if (!Object.hasOwn(value, key)) continue;
    if (field === null || (deeper && hasNullIn(field, depth + 1))) return true;
  }
  return false;
}

/**
 * The update kinds normalise maps, each with the schema of its payload and the handler that maps it. Every other
 * kind (polls, inline queries, boosts…) is reported as unhandled, so a new Bot API kind never fails parsing.
 * The schemas are plain (no `z.preprocess`), so they compile (core/engine/) and zod stays off the hot path;
 * nulls are dropped before the schema by the item's `prepare` step (see `normalizeTelegram`).
 */
const kind = (schema: z.ZodType, handler: UpdateHandler) => ({ schema, handler }) as const;

export const UPDATE_KINDS = new Map<string, { readonly schema: z.ZodType; readonly handler: UpdateHandler }>([
  ["message", kind(Message, "message")],
  ["channel_post", kind(Message, "message")],
  ["guest_message", kind(Message, "message")],
  ["business_message", kind(Message, "business_message")],
  ["edited_message", kind(Message, "edited_message")],
  ["edited_channel_post", kind(Message, "edited_message")],
  ["edited_business_message", kind(Message, "edited_business_message")],
  ["deleted_business_messages", kind(BusinessMessagesDeleted, "deleted_business_messages")],
  ["message_reaction", kind(MessageReactionUpdated, "message_reaction")],
  ["callback_query", kind(CallbackQuery, "callback_query")],
  ["my_chat_member", kind(ChatMemberUpdated, "my_chat_member")],
  ["chat_member", kind(ChatMemberUpdated, "chat_member")],
]);

/**
 * The envelope of a body: one update, named by an integer `update_id`; a body without one is not a Telegram
 * update (400). The kinds inside are items, each parsed with its own schema from `UPDATE_KINDS`, so a malformed
 * message costs only itself: it is reported unhandled with the reason, and the request is still answered 2xx.
 */
export const Update = z.looseObject({ update_id: z.number().int().nonnegative() });
export type TelegramUpdate = z.output<typeof Update>;
export type TelegramBusinessMessagesDeleted = z.output<typeof BusinessMessagesDeleted>;
export type TelegramReactionUpdated = z.output<typeof MessageReactionUpdated>;
export type TelegramCallbackQuery = z.output<typeof CallbackQuery>;
export type TelegramUser = z.output<typeof User>;
export type TelegramChat = z.output<typeof Chat>;
export type TelegramChatMemberUpdated = z.output<typeof ChatMemberUpdated>;
