import { z } from "zod";
import { EnvelopeBuilder, type AccountSlice, type NormalizeContext, type NormalizeResult } from "../../core";
import { mapEcho, mapInbound } from "./messages";
import type { WaChange, WaEntry, WhatsAppWebhook } from "./schema";
import { PLATFORM, Scope } from "./scope";
import { mapStatus, mapValueError } from "./statuses";

/*
 * One POST = `{object, entry[]}`; every entry has `changes[]`; a `messages` change has `messages[]`,
 * `statuses[]`, `errors[]` and `contacts[]`. Batches hold many of each, so every array is walked, never only the
 * first element (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 * The same item twice in one POST (Meta delivers at least once) is collapsed by the builder: one event.
 */

export function normalizeWhatsApp(payload: WhatsAppWebhook, context: NormalizeContext): NormalizeResult {
  const builder = new EnvelopeBuilder(PLATFORM, context);
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const scope = new Scope(builder, accountOf(entry, change), change.value.contacts ?? []);
      mapChange(scope, entry, change);
    }
  }
  return builder.result();
}

/** The phone number a change belongs to; management changes have no metadata and belong to the WABA. */
function accountOf(entry: WaEntry, change: WaChange): string {
  return change.value.metadata?.phone_number_id ?? entry.id;
}

function mapChange(scope: Scope, entry: WaEntry, change: WaChange): void {
  const value = change.value;
  switch (change.field) {
    case "messages": {
      const messages = value.messages ?? [];
      const statuses = value.statuses ?? [];
      const errors = value.errors ?? [];
      for (const message of messages) mapInbound(scope, message);
      for (const status of statuses) mapStatus(scope, status);
      for (const error of errors) mapValueError(scope, error);
      if (messages.length + statuses.length + errors.length === 0) {
        scope.b.unhandled("messages", value, { reason: "whatsapp messages change carries no messages, statuses or errors" });
      }
      return;
    }
    case "smb_message_echoes":
      for (const echo of value.message_echoes ?? []) mapEcho(scope, echo);
      if ((value.message_echoes ?? []).length === 0) scope.b.unhandled(change.field, value);
      return;
    case "account_update":
      return mapAccountUpdate(scope, entry, value);
    default:
      // templates, quality, calls, user_preferences, history… are account administration, not conversation events
      scope.accountItem(change.field, value, managementKey(entry, change.field, value)).unhandled(`whatsapp "${change.field}" webhook has no catalogue type`);
  }
}

const AccountUpdate = z.looseObject({
  event: z.string(),
  violation_info: z.looseObject({ violation_type: z.string().optional() }).optional(),
  restriction_info: z.array(z.looseObject({ restriction_type: z.string().optional() })).optional(),
  ban_info: z.looseObject({ waba_ban_state: z.string().optional() }).optional(),
});

/**
 * `account_update` events with a catalogue fit; the rest are unhandled
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update).
 */
const CONNECTED = new Set(["PARTNER_ADDED", "PARTNER_APP_INSTALLED", "ACCOUNT_RECONNECTED"]);
const DISCONNECTED = new Set(["PARTNER_REMOVED", "PARTNER_APP_UNINSTALLED", "ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED"]);
const ERRORS = new Set(["ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE"]);

function mapAccountUpdate(scope: Scope, entry: WaEntry, value: WaChange["value"]): void {
  const parsed = AccountUpdate.safeParse(value);
  const m = scope.accountItem("account_update", value, managementKey(entry, "account_update", value), entry.time);
  if (!parsed.success) {
    m.unhandled("whatsapp account_update without an event");
    return;
  }
  const update = parsed.data;
  if (CONNECTED.has(update.event)) {
    m.emit("platform.block.connected", { reason: update.event });
  } else if (DISCONNECTED.has(update.event)) {
    m.emit("platform.block.disconnected", { reason: update.event });
  } else if (ERRORS.has(update.event)) {
    const detail =
      update.violation_info?.violation_type ??
      update.ban_info?.waba_ban_state ??
      update.restriction_info?.flatMap((r) => (r.restriction_type ? [r.restriction_type] : [])).join(", ");
    m.emit("platform.block.error", {
      error: { code: update.event, message: `whatsapp account_update ${update.event}`, ...(detail ? { details: detail } : {}) },
    });
  } else {
    m.unhandled(undefined, `account_update.${update.event}`);
  }
}

/** Management webhooks have no id: `<waba>:<field>:<event>:<entry.time>`. */
function managementKey(entry: WaEntry, field: string, value: WaChange["value"]): string {
  const event = typeof value["event"] === "string" ? value["event"] : undefined;
  return [entry.id, field, event, entry.time].filter((part) => part !== undefined).join(":");
}

/**
 * One slice per phone number (`metadata.phone_number_id`); management changes go to the WABA (`entry.id`).
 * A slice is a whole webhook body holding only that account's changes, in their original order.
 */
export function whatsAppAccounts(payload: WhatsAppWebhook): AccountSlice<WhatsAppWebhook>[] {
  const slices = new Map<string, WaEntry[]>();
  for (const entry of payload.entry) {
    const byAccount = new Map<string, WaChange[]>();
    for (const change of entry.changes) {
      const account = accountOf(entry, change);
      byAccount.set(account, [...(byAccount.get(account) ?? []), change]);
    }
    for (const [account, changes] of byAccount) {
      slices.set(account, [...(slices.get(account) ?? []), { ...entry, changes }]);
    }
  }
  return [...slices].map(([account_id, entry]) => ({ account_id, payload: { ...payload, entry } }));
}
