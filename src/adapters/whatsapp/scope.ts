import type { EnvelopeBuilder, ItemMapper, schemas } from "../../core";
import { defined } from "../../core/objects";
import type { z } from "zod";
import type { WaContact, WaError } from "./schema";

type Profile = z.output<typeof schemas.ContactProfile>;
type ErrorInfo = z.output<typeof schemas.ErrorInfo>;

export const PLATFORM = "whatsapp";

/** One raw item of a change: its mapper (key, time and metadata built once) and the person it is about. */
export interface WaItem {
  readonly m: ItemMapper;
  readonly person: Person;
}

/** What the mappers of one `change` share: the builder, the phone number the change belongs to, its `contacts[]`. */
export class Scope {
  constructor(
    readonly b: EnvelopeBuilder,
    /** `value.metadata.phone_number_id`, or the WABA `entry.id` for management fields */
    readonly account: string,
    readonly contacts: readonly WaContact[],
  ) {}

  /**
   * The mapper of a raw item about a person: key, time (a value that is not a time between 1970 and 9999 gives the
   * receive time, and is kept in `metadata.platform_timestamp`: the builder's rule), and metadata (`platform_message_id` is the item's own
   * wamid unless an event overrides it with the message it targets).
   */
  item(
    raw: {
      kind: string;
      value: unknown;
      key: string;
      rawId: string;
      messageId?: string;
      timestamp: string | number | undefined;
    },
    person: Person,
  ): WaItem {
    const { platform_user_id, platform_thread_id, platform_account_id } = person.metadata;
    // literals, not `{ ...metadata, platform_message_id }`: see `withFields` (a spread-first object gets a map of its own)
    const metadata =
      raw.messageId === undefined
        ? { raw_platform_event_id: raw.rawId, platform_user_id, platform_thread_id, platform_account_id }
        : {
            raw_platform_event_id: raw.rawId,
            platform_user_id,
            platform_thread_id,
            platform_account_id,
            platform_message_id: raw.messageId,
          };
    const m = this.b.mapper({ kind: raw.kind, raw: raw.value, key: raw.key, timestamp: raw.timestamp, metadata });
    return { m, person };
  }

  /** The mapper of a raw item that is about the account, not a person (errors, management changes). */
  accountItem(kind: string, raw: unknown, key: string, timestamp?: string | number): ItemMapper {
    return this.b.mapper({
      kind,
      raw,
      key,
      timestamp,
      metadata: { raw_platform_event_id: key, platform_account_id: this.account },
    });
  }

  /** Reports a raw item that cannot be mapped before its mapper exists (nobody to attribute it to). */
  report(kind: string, raw: unknown, rawId: string, reason?: string): void {
    this.b.mapper({ kind, raw, key: rawId, metadata: { raw_platform_event_id: rawId } }).unhandled(reason);
  }

  /**
   * The person an event is about. Identity is the business-scoped user id (`user_id`) when there is one, else the
   * wa_id/phone ("identify users by user_id first",
   * https://developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids/); the
   * matching `contacts[]` entry supplies the profile and fills whichever id the message itself lacks.
   */
  person(ids: { userId?: string | undefined; waId?: string | undefined }, groupId?: string): Person | undefined {
    const contact = this.contactFor(ids);
    const id = ids.userId ?? contact?.user_id ?? ids.waId ?? contact?.wa_id;
    if (id === undefined || id === "") return undefined;
    const name = nonEmpty(contact?.profile?.name);
    const username = nonEmpty(contact?.profile?.username);
    const thread = groupId ?? id;
    const data: Person["data"] = { contact_id: this.b.contactId(id), conversation_id: this.b.conversationId(thread) };
    if (name !== undefined || username !== undefined) data.contact = defined({ name, username });
    return {
      id,
      byUserId: id === (ids.userId ?? contact?.user_id),
      data,
      metadata: { platform_user_id: id, platform_thread_id: thread, platform_account_id: this.account },
    };
  }

  private contactFor(ids: { userId?: string | undefined; waId?: string | undefined }): WaContact | undefined {
    const userId = ids.userId === "" ? undefined : ids.userId;
    const waId = ids.waId === "" ? undefined : ids.waId;
    if (userId === undefined && waId === undefined) return undefined;
    // in the order of `contacts[]`, the first naming either id (a plain loop: this runs for every message and status)
    for (const c of this.contacts) {
      if (
        (userId !== undefined && (userId === c.user_id || userId === c.wa_id)) ||
        (waId !== undefined && (waId === c.user_id || waId === c.wa_id))
      )
        return c;
    }
    // one contact and a sender that does not match it: "a user's ID and phone number may not always match"
    // (WhatsApp text reference), so the lone contact is still the sender's profile
    return this.contacts.length === 1 ? this.contacts[0] : undefined;
  }
}

export interface Person {
  /** the BSUID or wa_id the contact is keyed on */
  readonly id: string;
  /** true when `id` is a BSUID, false when it is a wa_id/phone */
  readonly byUserId: boolean;
  readonly data: { contact_id: string; conversation_id: string; contact?: Profile };
  readonly metadata: { platform_user_id: string; platform_thread_id: string; platform_account_id: string };
}

/*
 * A person's data with the one field most events add, as one literal per shape (with or without a profile):
 * what `withFields(person.data, { message })` gives, without its copy, on the paths every message and status take.
 */
export function dataWithMessage<M>(data: Person["data"], message: M) {
  const { contact_id, conversation_id, contact } = data;
  return contact === undefined
    ? { contact_id, conversation_id, message }
    : { contact_id, conversation_id, contact, message };
}

export function dataWithMessageIds(data: Person["data"], message_ids: string[]) {
  const { contact_id, conversation_id, contact } = data;
  return contact === undefined
    ? { contact_id, conversation_id, message_ids }
    : { contact_id, conversation_id, contact, message_ids };
}

/** A string WhatsApp sent, unless it is empty or `null` (both mean "not given" in real traffic). */
export function nonEmpty<T>(value: T | null | undefined): T | undefined {
  return value === null || value === "" ? undefined : value;
}

/** A WhatsApp error object as our `{code, message, details?}`. */
export function errorInfo(error: WaError | undefined, fallback: string): ErrorInfo {
  return {
    code: error?.code === undefined ? "unknown" : String(error.code),
    message: error?.message ?? error?.title ?? fallback,
    ...defined({ details: nonEmpty(error?.error_data?.details) }),
  };
}
