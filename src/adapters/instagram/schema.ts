import { z } from "zod";

/*
 * The `changes[]` values only Instagram has (https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram).
 * Its DMs use the Messenger item shape, declared in meta-shared. Ids are strings: IG account ids such as
 * 17841405726653026 exceed 2^53 and would be corrupted as numbers.
 */

/**
 * `comments` / `live_comments` (Graph reference `FBInstagramCommentsField`): the comment `id`, or `comment_id`
 * as the Facebook-Login example spells it; `parent_id` only on a reply to another comment.
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
