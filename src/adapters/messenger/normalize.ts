import { EnvelopeBuilder, type NormalizeContext, type NormalizeResult } from "../../core";
import {
  hasUser,
  MetaMessaging,
  withoutRepeats,
  type MessagingItem,
  type MetaChange,
  type MetaEntryBase,
  type UserItem,
} from "../meta-shared";
import { FeedValue, MessengerItem, type PageWebhook } from "./schema";

const PLATFORM = "messenger";

/** Every item of every entry: DM items in `messaging[]` / `standby[]`, Page fields in `changes[]`. */
export function normalizeMessenger(payload: PageWebhook, context: NormalizeContext): NormalizeResult {
  const meta = new MetaMessaging(new EnvelopeBuilder(PLATFORM, context));
  meta.walk(payload.entry, MessengerItem, (item) => mapItem(meta, item), (entry, change) => {
    if (change.field === "feed") feed(meta, entry, change);
    else meta.unhandledChange(change);
  });
  return withoutRepeats(meta.b.result());
}

function mapItem(meta: MetaMessaging, item: MessagingItem<MessengerItem>): void {
  if (hasUser(item)) {
    const raw = item.raw;
    if (raw.message_edit !== undefined) return edit(meta, item, raw.message_edit);
    if (raw.delivery !== undefined) return delivery(meta, item, raw.delivery);
    if (raw.order !== undefined) return order(meta, item, raw.order);
  }
  if (!meta.map(item)) meta.unhandled(item);
}

/** `message_edit`: the new text of an earlier message; `num_edit` tells successive edits apart. */
function edit(meta: MetaMessaging, item: UserItem<MessengerItem>, edit: NonNullable<MessengerItem["message_edit"]>): void {
  const b = meta.b;
  const { data, metadata } = meta.parts(item, edit.mid, edit.mid);
  const editedAt = item.time === undefined ? undefined : b.timestamp(item.time);
  b.event("messaging.message.updated", {
    key: `${edit.mid}:edit:${String(edit.num_edit ?? editedAt ?? "")}`,
    timestamp: item.time,
    metadata,
    data: {
      ...data,
      message: {
        id: b.messageId(edit.mid),
        type: "text",
        direction: item.outbound ? "outbound" : "inbound",
        ...(edit.text === undefined ? {} : { text: edit.text }),
        ...(editedAt === undefined ? {} : { edited_at: editedAt }),
      },
    },
  });
}

/** `delivery`: one event for the listed mids (maybe none) and the watermark, keyed by the watermark. */
function delivery(meta: MetaMessaging, item: UserItem<MessengerItem>, delivery: NonNullable<MessengerItem["delivery"]>): void {
  const b = meta.b;
  const mids = delivery.mids ?? [];
  const watermark = delivery.watermark === undefined ? undefined : b.timestamp(delivery.watermark);
  const key = `delivery:${item.user}:${watermark ?? mids.join(",")}`;
  const { data, metadata } = meta.parts(item, key, mids.length === 1 ? mids[0] : undefined);
  b.event("messaging.message.delivered", {
    key, timestamp: item.time, metadata,
    data: { ...data, message_ids: mids.map((mid) => b.messageId(mid)), ...(watermark === undefined ? {} : { watermark }) },
  });
}

/**
 * `send_cart`: the user sent their Shops cart. The merchant's `retailer_id` is the product id (as WhatsApp's
 * `product_retailer_id`), Meta's catalogue id otherwise. No total: Meta sends none and we do not invent one.
 */
function order(meta: MetaMessaging, item: UserItem<MessengerItem>, cart: NonNullable<MessengerItem["order"]>): void {
  const key = `send_cart:${item.user}:${item.time === undefined ? "untimed" : meta.b.timestamp(item.time)}`;
  const { data, metadata } = meta.parts(item, key);
  const currencies = new Set(cart.products.flatMap((product) => (product.currency === undefined ? [] : [product.currency])));
  const [currency] = currencies;
  meta.b.event("commerce.order.created", {
    key, timestamp: item.time, metadata,
    data: {
      ...data,
      order: {
        ...(currencies.size === 1 && currency !== undefined ? { currency } : {}),
        ...(cart.note === undefined ? {} : { note: cart.note }),
        items: cart.products.map((product) => ({
          product_id: product.retailer_id ?? String(product.id ?? ""),
          quantity: product.quantity,
          ...(product.unit_price === undefined ? {} : { unit_price: product.unit_price }),
          ...(product.currency === undefined ? {} : { currency: product.currency }),
          ...(product.name === undefined ? {} : { name: product.name }),
        })),
      },
    },
  });
}

/**
 * Page `feed`: a new comment (item `comment`, verb `add`) is a comment; edits, removals, reactions, posts
 * and likes are reported unhandled as `feed.<item>.<verb>`. The Page's own comments are skipped as echoes:
 * answering them would loop (§2.14, bottender `sentByPage`).
 */
function feed(meta: MetaMessaging, entry: MetaEntryBase, change: MetaChange): void {
  const value = meta.readChange(change, FeedValue);
  if (value === undefined) return;
  const kind = `feed.${value.item ?? "unknown"}.${value.verb ?? "unknown"}`;
  const author = value.from?.id ?? (value.sender_id === undefined ? undefined : String(value.sender_id));
  const rawId = value.comment_id ?? value.post_id;
  const skip = (reason?: string) => meta.unhandledChange(change, kind, reason, rawId);
  if (value.item !== "comment" || value.verb !== "add") return skip();
  if (value.comment_id === undefined || value.post_id === undefined) return skip("the comment has no comment_id or post_id");
  if (author === undefined) return skip("the comment has no author (hidden by the user's privacy settings)");
  if (author === entry.id) return skip("the Page's own comment (an echo of the business)");
  const name = value.from?.name ?? value.sender_name;
  // top-level comments name the post as parent; only a reply names another comment
  const parent = value.parent_id !== undefined && value.parent_id !== value.post_id ? value.parent_id : undefined;
  meta.b.event("messaging.comment.created", {
    key: value.comment_id,
    timestamp: value.created_time ?? entry.time,
    metadata: { raw_platform_event_id: value.comment_id, platform_account_id: entry.id, platform_user_id: author },
    data: {
      contact_id: meta.b.contactId(author),
      ...(name === undefined ? {} : { contact: { name } }),
      comment: { id: value.comment_id, text: value.message ?? "", post_id: value.post_id, ...(parent === undefined ? {} : { parent_id: parent }) },
    },
  });
}
