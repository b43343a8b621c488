import { defined, withFields } from "../../core/objects";
import {
  hasUser,
  type MessagingItem,
  type MetaChange,
  type MetaEntryBase,
  type MetaMessage,
  type MetaMessaging,
  type UserItem,
} from "../meta-shared";
import { CommentValue, MentionValue } from "./schema";

/*
 * What only Instagram has, around the DM product it shares with Messenger: unsends, story replies and mentions
 * (https://developers.facebook.com/documentation/instagram-platform/webhooks/examples), and comments in `changes[]`
 * (https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram).
 */

/** Instagram's own DM kinds; false hands the item to the shared mappings. */
export function mapInstagramItem(meta: MetaMessaging, item: MessagingItem): boolean {
  const message = item.raw.message;
  if (message === undefined || !hasUser(item)) return false;
  if (message.is_deleted === true) return deleted(meta, item, message);
  const story = storyOf(message);
  if (story !== undefined && !item.outbound) return storyReply(meta, item, message, story);
  return false;
}

/** `comments` and `live_comments` are mapped; `mentions` and every other field are reported. */
export function mapInstagramChange(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void {
  if (change.field === "comments" || change.field === "live_comments") return comment(meta, entry, change);
  if (change.field !== "mentions") return meta.unhandledChange(change);
  const value = meta.readChange(change, MentionValue);
  if (value === undefined) return;
  const reason =
    "a mention carries only the comment and media ids: its author and text must be fetched from the Graph API";
  meta.unhandledChange(change, undefined, reason, value.comment_id ?? value.media_id);
}

/** The story a DM answers (`reply_to.story`) or mentions the business in (`story_mention` attachment). */
function storyOf(message: MetaMessage): { id?: string; url?: string } | undefined {
  const replied = message.reply_to?.story;
  const mention = message.attachments?.find((attachment) => attachment.type === "story_mention");
  if (replied === undefined && mention === undefined) return undefined;
  const story = replied ?? mention?.payload ?? {};
  return defined({ id: story.id === undefined ? undefined : String(story.id), url: story.url });
}

/**
 * A reply to the business's story, or a mention of the business in the user's story (then the message is a
 * `share` with a `story` attachment). The story URL stops working when the story expires
 * (https://developers.facebook.com/docs/messenger-platform/instagram/features/story-mention).
 */
function storyReply(
  meta: MetaMessaging,
  item: UserItem,
  message: MetaMessage,
  story: { id?: string; url?: string },
): boolean {
  meta.mapper(item, message.mid, message.mid).emit(
    "messaging.story_reply.received",
    withFields(meta.contact(item), {
      message: meta.content(message, "inbound"),
      story,
    }),
  );
  return true;
}

/** `is_deleted`: the user unsent a message; same `mid` as the original, no content. */
function deleted(meta: MetaMessaging, item: UserItem, message: MetaMessage): boolean {
  meta
    .mapper(item, message.mid, message.mid)
    .emit("messaging.message.deleted", withFields(meta.contact(item), { message_id: meta.b.messageId(message.mid) }), {
      key: `${message.mid}:deleted`,
    });
  return true;
}

/**
 * `comments` / `live_comments`: a new comment on the account's media. The value has no time of its own, so
 * `entry.time` (seconds) is used. The account's own comments are skipped as echoes, so replies cannot loop.
 */
function comment(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void {
  const value = meta.readChange(change, CommentValue);
  if (value === undefined) return;
  const id = value.id ?? value.comment_id;
  const skip = (reason: string) => meta.unhandledChange(change, undefined, reason, id);
  if (id === undefined || value.media === undefined) return skip("the comment has no id or media");
  if (value.from === undefined) return skip("the comment has no author");
  if (value.from.id === entry.id) return skip("the account's own comment (an echo of the business)");
  const username = value.from.username;
  const m = meta.b.mapper({
    kind: `changes.${change.field}`,
    raw: change,
    key: id,
    timestamp: entry.time,
    metadata: { raw_platform_event_id: id, platform_account_id: entry.id, platform_user_id: value.from.id },
  });
  m.emit("messaging.comment.created", {
    contact_id: meta.b.contactId(value.from.id),
    ...defined({ contact: username === undefined ? undefined : { username } }),
    comment: { id, text: value.text ?? "", post_id: value.media.id, ...defined({ parent_id: value.parent_id }) },
  });
}
