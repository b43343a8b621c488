import { z } from "zod";
import { MetaChange, MetaMessagingItem, MetaTime, metaEnvelope } from "../meta-shared";

/*
 * The parts of an Instagram (`object: "instagram"`) webhook that normalise reads (meta-platforms.md §3;
 * https://developers.facebook.com/documentation/instagram-platform/webhooks/examples). DMs use the Messenger
 * item shape; comments, live comments and mentions arrive in `changes[]`. Ids are strings: IG account ids
 * such as 17841405726653026 exceed 2^53 and would be corrupted as numbers.
 */

export const InstagramEntry = z.looseObject({
  id: z.string().min(1),
  time: MetaTime.optional(),
  messaging: z.array(MetaMessagingItem).optional(),
  standby: z.array(MetaMessagingItem).optional(),
  changes: z.array(MetaChange).optional(),
});

export const InstagramWebhook = metaEnvelope("instagram", InstagramEntry);
export type InstagramWebhook = z.output<typeof InstagramWebhook>;

/**
 * `comments` / `live_comments` (Graph reference `FBInstagramCommentsField`): the comment `id`, or `comment_id`
 * as the Facebook-Login example spells it; `parent_id` only on a reply to another comment (§3.4).
 */
export const CommentValue = z.looseObject({
  id: z.string().min(1).optional(),
  comment_id: z.string().min(1).optional(),
  text: z.string().optional(),
  parent_id: z.string().min(1).optional(),
  from: z.looseObject({ id: z.string().min(1), username: z.string().optional() }).optional(),
  media: z.looseObject({ id: z.string().min(1), media_product_type: z.string().optional() }).optional(),
});

/** `mentions` (Facebook Login): only ids; a caption mention has no `comment_id`. */
export const MentionValue = z.looseObject({ comment_id: z.string().optional(), media_id: z.string().optional() });
