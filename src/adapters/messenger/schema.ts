import { z } from "zod";
import { LooseId, MetaMessagingItem, MetaTime } from "../meta-shared";

/*
 * The parts of a Messenger (`object: "page"`) webhook that normalise reads
 * (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events). Loose objects: Meta adds
 * fields without notice and those must not break parsing. Ids are strings (Page ids and PSIDs exceed 2^53).
 */

const CartProduct = z.looseObject({
  id: LooseId.optional(),
  retailer_id: z.string().optional(),
  name: z.string().optional(),
  unit_price: z.number().optional(),
  currency: z.string().optional(),
  quantity: z.number().nonnegative(),
});

/** The DM item both products share, plus the kinds only Messenger has. */
export const MessengerItem = MetaMessagingItem.extend({
  /** `message_edits`: the edited message's `mid` and its new text (no attachments) */
  message_edit: z
    .looseObject({
      mid: z.string().min(1),
      text: z.string().optional(),
      num_edit: z.union([z.number(), z.string()]).optional(),
    })
    .optional(),
  /** `message_deliveries`: `mids` "may not be present"; the watermark (ms) covers every earlier message */
  delivery: z.looseObject({ mids: z.array(z.string().min(1)).optional(), watermark: MetaTime.optional() }).optional(),
  /** `send_cart` */
  order: z.looseObject({ products: z.array(CartProduct), note: z.string().optional() }).optional(),
});
export type MessengerItem = z.output<typeof MessengerItem>;

/**
 * A Page `feed` change (https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-pages).
 * `from` may be missing (privacy); older payloads carry `sender_id` / `sender_name` instead.
 */
export const FeedValue = z.looseObject({
  item: z.string().optional(),
  verb: z.string().optional(),
  comment_id: z.string().min(1).optional(),
  post_id: z.string().min(1).optional(),
  parent_id: z.string().min(1).optional(),
  message: z.string().optional(),
  created_time: MetaTime.optional(),
  from: z.looseObject({ id: z.string().min(1), name: z.string().optional() }).optional(),
  sender_id: LooseId.optional(),
  sender_name: z.string().optional(),
});
