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

/** `kind` is read from the item as sent: parsing drops keys such as `__proto__` that may name it. */
export function messagingItem<R extends MetaMessagingItem>(raw: R, entry: MetaEntryBase, standby: boolean, kind = itemKind(raw)): MessagingItem<R> {
  // echoes reverse sender and recipient: the person is whichever side is not the account
  const outbound = raw.message?.is_echo === true || (raw.sender?.id !== undefined && raw.sender.id === entry.id);
  const person = outbound ? raw.recipient : raw.sender;
  return {
    raw,
    kind,
    account: entry.id,
    standby,
    outbound,
    user: person?.id ?? person?.user_ref,
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
