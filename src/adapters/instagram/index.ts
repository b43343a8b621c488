import { metaDmAdapter, MetaMessagingItem } from "../meta-shared";
import { mapInstagramChange, mapInstagramItem } from "./normalize";
import { CommentValue, MentionValue } from "./schema";

/**
 * Instagram messaging and comments: `object: "instagram"` webhooks. Apps using Instagram Login sign with the
 * Instagram app secret, apps using Facebook Login with the Meta app secret: list both in `app_secrets`
 * (https://developers.facebook.com/documentation/instagram-platform/webhooks). The DM product it shares with Messenger is
 * declared in meta-shared; Instagram adds unsends, story replies and comments. See docs/adapters/instagram.md.
 */
export const instagram = metaDmAdapter({
  platform: "instagram",
  object: "instagram",
  item: MetaMessagingItem,
  emits: ["messaging.message.deleted", "messaging.story_reply.received", "messaging.comment.created"],
  mapItem: mapInstagramItem,
  mapChange: mapInstagramChange,
  // https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram
  changes: {
    comments: { schemas: [{ at: "value", schema: CommentValue }] },
    live_comments: { schemas: [{ at: "value", schema: CommentValue }] },
    mentions: { schemas: [{ at: "value", schema: MentionValue }] },
    // reported as they are: known with everything below their `value`
    story_insights: { ignored: ["value.**"] },
  },
});
