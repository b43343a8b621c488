import type { z } from "zod";
import type { AccountSlice, ItemOptions, NormalizeContext, NormalizeResult } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { mapEcho, mapInbound } from "./messages";
import { mapAccountUpdate, mapReportedField, mapUserPreference } from "./account";
import {
  WaChangeItem,
  WaContact,
  WaError,
  WaMessage,
  WaStatus,
  WaUserPreference,
  type WaChange,
  type WaEntry,
  type WhatsAppWebhook,
} from "./schema";
import { PLATFORM, Scope } from "./scope";
import { mapStatus, mapValueError } from "./statuses";

/*
 * One POST = `{object, entry[]}`; every entry has `changes[]`; a `messages` change has `messages[]`,
 * `statuses[]`, `errors[]` and `contacts[]`. Batches hold many of each, so every array is walked, never only the
 * first element (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 * The same item twice in one POST (Meta delivers at least once) is collapsed by the builder: one event.
 */

export function normalizeWhatsApp(payload: WhatsAppWebhook, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  for (const entry of payload.entry) {
    for (const raw of entry.changes) {
      b.item(raw, { kind: stringField(raw, "field") ?? "changes", schema: WaChangeItem }, (change) => {
        const contacts: WaContact[] = [];
        for (const contact of change.value.contacts ?? []) {
          // a contact is profile data, not an event: one without its documented shape only costs the profile
          const parsed = b.parse(WaContact, contact);
          if (parsed.success) contacts.push(parsed.data);
        }
        mapChange(new Scope(b, accountOf(entry, change), contacts), entry, change);
      });
    }
  }
  return b.result();
}

/** The phone number a change belongs to; management changes have no metadata and belong to the WABA. */
function accountOf(entry: WaEntry, change: WaChange): string {
  const metadata = propertyOf(propertyOf(change, "value"), "metadata");
  const phoneNumberId = stringField(metadata, "phone_number_id");
  return phoneNumberId === undefined || phoneNumberId === "" ? entry.id : phoneNumberId;
}

/** Each item of a change's array, mapped on its own: kind and raw id are read from the raw item, for the report. */
function eachItem<R>(
  scope: Scope,
  items: readonly unknown[],
  kind: (raw: unknown) => string,
  schema: z.ZodType<R>,
  map: (item: R) => void,
): void {
  for (const raw of items) scope.b.item(raw, new RawItem(raw, kind, schema), map);
}

/**
 * An item's options whose kind and raw id are read from the raw item when the builder asks, which it does only
 * to report an item it refused or could not map: reading them up front (two own-property checks, keyed loads
 * over every item shape, a new string) cost ~50 instructions per status. A class, not a literal with getters,
 * so that V8 makes no new accessor pair per item.
 */
class RawItem<R> implements ItemOptions<R> {
  constructor(
    private readonly raw: unknown,
    private readonly kindOf: (raw: unknown) => string,
    readonly schema: z.ZodType<R>,
  ) {}

  get kind(): string {
    return this.kindOf(this.raw);
  }

  get rawId(): string | undefined {
    return stringField(this.raw, "id");
  }
}

function mapChange(scope: Scope, entry: WaEntry, change: WaChangeItem): void {
  const value = change.value;
  switch (change.field) {
    case "messages": {
      const messages = value.messages ?? [];
      const statuses = value.statuses ?? [];
      const errors = value.errors ?? [];
      eachItem(
        scope,
        messages,
        (raw) => `messages.${stringField(raw, "type") ?? "unknown"}`,
        WaMessage,
        (message) => mapInbound(scope, message),
      );
      eachItem(
        scope,
        statuses,
        (raw) => `statuses.${stringField(raw, "status") ?? "unknown"}`,
        WaStatus,
        (status) => mapStatus(scope, status),
      );
      eachItem(
        scope,
        errors,
        () => "errors",
        WaError,
        (error) => mapValueError(scope, error),
      );
      if (messages.length + statuses.length + errors.length === 0) {
        scope.b.unhandled("messages", value, {
          reason: "whatsapp messages change carries no messages, statuses or errors",
        });
      }
      return;
    }
    case "smb_message_echoes": {
      const echoes = value.message_echoes ?? [];
      eachItem(
        scope,
        echoes,
        (raw) => `smb_message_echoes.${stringField(raw, "type") ?? "unknown"}`,
        WaMessage,
        (echo) => mapEcho(scope, echo),
      );
      if (echoes.length === 0) scope.b.unhandled(change.field, value);
      return;
    }
    case "user_preferences": {
      const preferences = value.user_preferences ?? [];
      eachItem(
        scope,
        preferences,
        (raw) => `user_preferences.${stringField(raw, "value") ?? "unknown"}`,
        WaUserPreference,
        (item) => mapUserPreference(scope, item),
      );
      if (preferences.length === 0) scope.b.unhandled(change.field, value);
      return;
    }
    case "account_update":
      return mapAccountUpdate(scope, entry, value);
    default:
      // templates, quality, calls, history… are account administration, not conversation events
      return mapReportedField(scope, entry, change.field, value);
  }
}

/** An own property of a raw value, or undefined: raw items are read before they are parsed. */
function propertyOf(raw: unknown, key: string): unknown {
  return raw !== null && typeof raw === "object" && Object.hasOwn(raw, key)
    ? (raw as Record<string, unknown>)[key]
    : undefined;
}

function stringField(raw: unknown, key: string): string | undefined {
  const value = propertyOf(raw, key);
  return typeof value === "string" ? value : undefined;
}

/**
 * One slice per phone number (`metadata.phone_number_id`); management changes go to the WABA (`entry.id`).
 * A slice is a whole webhook body holding only that account's changes, in their original order.
 */
export function whatsAppAccounts(payload: WhatsAppWebhook): AccountSlice<WhatsAppWebhook>[] {
  // appends in place: copying an account's list on every push made a body of one account's N changes cost N²
  const slices = new Map<string, WaEntry[]>();
  for (const entry of payload.entry) {
    const byAccount = new Map<string, WaChange[]>();
    for (const change of entry.changes) {
      const account = accountOf(entry, change);
      const changes = byAccount.get(account);
      if (changes === undefined) byAccount.set(account, [change]);
      else changes.push(change);
    }
    for (const [account, changes] of byAccount) {
      const entries = slices.get(account);
      if (entries === undefined) slices.set(account, [{ ...entry, changes }]);
      else entries.push({ ...entry, changes });
    }
  }
  return [...slices].map(([account_id, entry]) => ({ account_id, payload: { ...payload, entry } }));
}
