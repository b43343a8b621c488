import { EnvelopeBuilder, type NormalizeContext, type NormalizeResult } from "../../core";
import {
  hasUser,
  MetaMessaging,
  MetaMessagingItem,
  withoutRepeats,
  type MessagingItem,
  type MetaChange,
  type MetaEntryBase,
  type MetaMessage,
  type UserItem,
} from "../meta-shared";
import { CommentValue, MentionValue, type InstagramWebhook } from "./schema";

const PLATFORM = "instagram";

/** Every item of every entry: DMs in `messaging[]` / `standby[]`, comments and mentions in `changes[]`. */
export function normalizeInstagram(payload: InstagramWebhook, context: NormalizeContext): NormalizeResult {
  const meta = new MetaMessaging(new EnvelopeBuilder(PLATFORM, context));
  meta.walk(payload.entry, MetaMessagingItem, (item) => mapItem(meta, item), (entry, change) => {
    if (change.field === "comments" || change.field === "live_comments") {
      comment(meta, entry, change);
    } else if (change.field === "mentions") {
      const value = meta.readChange(change, MentionValue);
      if (value !== undefined) {
        meta.unhandledChange(
          change, undefined,
          "a mention carries only the comment and media ids: its author and text must be fetched from the Graph API",
          value.comment_id ?? value.media_id,
        );
      }
    } else {
      meta.unhandledChange(change);
    }
  });
  return withoutRepeats(meta.b.result());
}

function mapItem(meta: MetaMessaging, item: MessagingItem): void {
  const message = item.raw.message;
  if (message !== undefined && hasUser(item)) {
    if (message.is_deleted === true) return deleted(meta, item, message);
    const story = storyOf(message);
    if (story !== undefined && !item.outbound) return storyReply(meta, item, message, story);
  }
  if (!meta.map(item)) meta.unhandled(item);
}

/** The story a DM answers (`reply_to.story`) or mentions the business in (`story_mention` attachment). */
function storyOf(message: MetaMessage): { id?: string; url?: string } | undefined {
  const replied = message.reply_to?.story;
  const mention = message.attachments?.find((attachment) => attachment.type === "story_mention");
  if (replied === undefined && mention === undefined) return undefined;
  const story = replied ?? mention?.payload ?? {};
  return {
    ...(story.id === undefined ? {} : { id: String(story.id) }),
    ...(story.url === undefined ? {} : { url: story.url }),
  };
}

/**
 * A reply to the business's story, or a mention of the business in the user's story (then the message is a
 * `share` with a `story` attachment). The story URL stops working when the story expires (§3.2).
 */
function storyReply(meta: MetaMessaging, item: UserItem, message: MetaMessage, story: { id?: string; url?: string }): void {
  const { data, metadata } = meta.parts(item, message.mid, message.mid);
  meta.b.event("messaging.story_reply.received", {
    key: message.mid, timestamp: item.time, metadata,
    data: { ...data, message: meta.content(message, "inbound"), story },
  });
}

/** `is_deleted`: the user unsent a message; same `mid` as the original, no content. */
function deleted(meta: MetaMessaging, item: UserItem, message: MetaMessage): void {
  const { data, metadata } = meta.parts(item, message.mid, message.mid);
  meta.b.event("messaging.message.deleted", {
    key: `${message.mid}:deleted`, timestamp: item.time, metadata,
    data: { ...data, message_id: meta.b.messageId(message.mid) },
  });
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
  meta.b.event("messaging.comment.created", {
    key: id,
    timestamp: entry.time,
    metadata: { raw_platform_event_id: id, platform_account_id: entry.id, platform_user_id: value.from.id },
    data: {
      contact_id: meta.b.contactId(value.from.id),
      ...(username === undefined ? {} : { contact: { username } }),
      comment: {
        id,
        text: value.text ?? "",
        post_id: value.media.id,
        ...(value.parent_id === undefined ? {} : { parent_id: value.parent_id }),
      },
    },
  });
}
