import { hashId } from "../core";

/**
 * The id of one event's delivery to one subscriber: `dlv_` + 20 base32 characters of a hash of both. A redelivery
 * of the same event to the same subscriber carries the same id (Standard Webhooks `webhook-id`, the thread-style
 * `delivery_id`), so receivers can deduplicate on it; two subscribers never share one. It contains no `.`, which
 * the Standard Webhooks signed content `id.timestamp.body` relies on.
 */
export function deliveryId(eventId: string, subscriber: string): string {
  return `dlv_${hashId(["delivery", eventId, subscriber])}`;
}
