import type { MetaEntryBase } from "./entries";
import type { MetaMessagingItem } from "./messaging-schema";

/*
 * One DM item of `messaging[]` / `standby[]` with what every event made from it shares: its kind, the account,
 * the person and the direction. Event format:
 * https://developers.facebook.com/docs/messenger-platform/reference/webhook-events
 */

/** One item with what every event made from it shares. */
export interface MessagingItem<R extends MetaMessagingItem = MetaMessagingItem> {
  readonly raw: R;
  readonly kind: string;
  /** `entry.id`: the Page id or Instagram account id */
  readonly account: string;
  readonly standby: boolean;
  /** the business wrote it (an echo): the contact is then the recipient */
  readonly outbound: boolean;
  /** the PSID / IGSID of the person (or a plugin `user_ref`); absent on Page-level events */
  readonly user: string | undefined;
  readonly time: number | string | undefined;
}

export type UserItem<R extends MetaMessagingItem = MetaMessagingItem> = MessagingItem<R> & { readonly user: string };

export function hasUser<R extends MetaMessagingItem>(item: MessagingItem<R>): item is UserItem<R> {
  return item.user !== undefined;
}

/** Where an item came from, and what was read of it before parsing. */
export interface ItemOrigin {
  /** sent in `standby[]`, or as a dashboard test of the `standby` field */
  readonly standby: boolean;
  /** a dashboard test of the `message_echoes` field: an echo even if the value lacks `is_echo` */
  readonly echoField?: boolean;
  /** read from the item as sent: parsing drops keys such as `__proto__` that may name it */
  readonly kind?: string;
}

/**
 * Direction: only an echo is outbound, that is a `message` with `is_echo` (or delivered as a `message_echoes`
 * test). Sender and recipient are reversed on echoes, so the person is then the recipient. Postbacks, quick
 * replies, reactions and reads are the person's own acts even when `sender.id` equals the account id.
 * https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes
 */
export function messagingItem<R extends MetaMessagingItem>(
  raw: R,
  entry: MetaEntryBase,
  origin: ItemOrigin,
): MessagingItem<R> {
  const outbound = raw.message !== undefined && (raw.message.is_echo === true || origin.echoField === true);
  const person = outbound ? raw.recipient : raw.sender;
  return {
    raw,
    kind: origin.kind ?? itemKind(raw),
    account: entry.id,
    standby: origin.standby,
    outbound,
    // a checkbox-plugin opt-in has no sender at all: the person is the optin's `user_ref`
    user: person?.id ?? person?.user_ref ?? (outbound ? undefined : raw.optin?.user_ref),
    // an item without its own time (Messenger delivery examples) takes the entry's
    time: raw.timestamp ?? entry.time,
  };
}

/** Keys of an item that are not its payload. */
const ENVELOPE_KEYS = new Set(["sender", "recipient", "timestamp"]);

/** The payload key naming the item's kind (`message`, `reaction`, `app_roles`…), bounded for reports and logs. */
export function itemKind(item: object): string {
  return (Object.keys(item).find((key) => !ENVELOPE_KEYS.has(key)) ?? "empty").slice(0, 64);
}
