import { platformTime } from "../../core/adapter-kit";
import { defined, withFields } from "../../core/objects";
import {
  hasUser,
  type MessagingItem,
  type MetaChange,
  type MetaEntryBase,
  type MetaMessaging,
  type UserItem,
} from "../meta-shared";
import { FeedValue, type MessengerItem } from "./schema";

/*
 * What only Messenger has, around the DM product it shares with Instagram: deliveries, edits, carts
 * (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events) and Page `feed` comments
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-pages).
 */

/** Messenger's own DM kinds; false hands the item to the shared mappings. */
export function mapMessengerItem(meta: MetaMessaging, item: MessagingItem<MessengerItem>): boolean {
  if (!hasUser(item)) return false;
  const raw = item.raw;
  if (raw.message_edit !== undefined) return edit(meta, item, raw.message_edit);
  if (raw.delivery !== undefined) return delivery(meta, item, raw.delivery);
  if (raw.order !== undefined) return order(meta, item, raw.order);
  return false;
}

/** Page fields in `changes[]`: `feed` is mapped, every other field reported. */
export function mapMessengerChange(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void {
  if (change.field === "feed") feed(meta, entry, change);
  else meta.unhandledChange(change);
}

/** `message_edit`: the new text of an earlier message; `num_edit` tells successive edits apart. */
function edit(
  meta: MetaMessaging,
  item: UserItem<MessengerItem>,
  edit: NonNullable<MessengerItem["message_edit"]>,
): boolean {
  const b = meta.b;
  // the edit time is the item's time: when that is not a time the envelope falls back, and edited_at is left out
  const editedAt = item.time === undefined ? undefined : platformTime(item.time);
  meta.mapper(item, edit.mid, edit.mid).emit(
    "messaging.message.updated",
    withFields(meta.contact(item), {
      message: {
        id: b.messageId(edit.mid),
        type: "text",
        direction: item.outbound ? "outbound" : "inbound",
        ...defined({ text: edit.text, edited_at: editedAt }),
      },
    }),
    { key: `${edit.mid}:edit:${String(edit.num_edit ?? editedAt ?? "")}` },
  );
  return true;
}

/** `delivery`: one event for the listed mids (maybe none) and the watermark, keyed by the watermark. */
function delivery(
  meta: MetaMessaging,
  item: UserItem<MessengerItem>,
  delivery: NonNullable<MessengerItem["delivery"]>,
): boolean {
  const b = meta.b;
  const mids = delivery.mids ?? [];
  const watermark = delivery.watermark === undefined ? undefined : b.timestamp(delivery.watermark);
  const key = `delivery:${item.user}:${watermark ?? mids.join(",")}`;
  meta.mapper(item, key, mids.length === 1 ? mids[0] : undefined).emit(
    "messaging.message.delivered",
    withFields(meta.contact(item), {
      message_ids: mids.map((mid) => b.messageId(mid)),
      ...defined({ watermark }),
    }),
  );
  return true;
}

/**
 * `send_cart`: the user sent their Shops cart. The merchant's `retailer_id` is the product id (as WhatsApp's
 * `product_retailer_id`), Meta's catalogue id otherwise. No total: Meta sends none and we do not invent one.
 */
function order(meta: MetaMessaging, item: UserItem<MessengerItem>, cart: NonNullable<MessengerItem["order"]>): boolean {
  const currencies = new Set(
    cart.products.flatMap((product) => (product.currency === undefined ? [] : [product.currency])),
  );
  const [currency] = currencies;
  meta.mapper(item, `send_cart:${meta.stamp(item)}`).emit(
    "commerce.order.created",
    withFields(meta.contact(item), {
      order: {
        ...defined({ currency: currencies.size === 1 ? currency : undefined, note: cart.note }),
        items: cart.products.map((product) => ({
          product_id: product.retailer_id ?? String(product.id ?? ""),
          quantity: product.quantity,
          ...defined({ unit_price: product.unit_price, currency: product.currency, name: product.name }),
        })),
      },
    }),
  );
  return true;
}

/**
 * Page `feed`: a new comment (item `comment`, verb `add`) is a comment; edits, removals, reactions, posts
 * and likes are reported unhandled as `feed.<item>.<verb>`. The Page's own comments are skipped as echoes:
 * answering them would loop.
 */
function feed(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void {
  const value = meta.readChange(change, FeedValue);
  if (value === undefined) return;
  const kind = `feed.${(value.item ?? "unknown").slice(0, 64)}.${(value.verb ?? "unknown").slice(0, 64)}`;
  const author = value.from?.id ?? (value.sender_id === undefined ? undefined : String(value.sender_id));
  const rawId = value.comment_id ?? value.post_id;
  const skip = (reason?: string) => meta.unhandledChange(change, kind, reason, rawId);
  if (value.item !== "comment" || value.verb !== "add") return skip();
  if (value.comment_id === undefined || value.post_id === undefined)
    return skip("the comment has no comment_id or post_id");
  if (author === undefined) return skip("the comment has no author (hidden by the user's privacy settings)");
  if (author === entry.id) return skip("the Page's own comment (an echo of the business)");
  // top-level comments name the post as parent; only a reply names another comment
  const parent = value.parent_id !== undefined && value.parent_id !== value.post_id ? value.parent_id : undefined;
  const m = meta.b.mapper({
    kind,
    raw: change,
    key: value.comment_id,
    timestamp: value.created_time ?? entry.time,
    metadata: { raw_platform_event_id: value.comment_id, platform_account_id: entry.id, platform_user_id: author },
  });
  const name = value.from?.name ?? value.sender_name;
  m.emit("messaging.comment.created", {
    contact_id: meta.b.contactId(author),
    ...defined({ contact: name === undefined ? undefined : { name } }),
    comment: {
      id: value.comment_id,
      text: value.message ?? "",
      post_id: value.post_id,
      ...defined({ parent_id: parent }),
    },
  });
}
