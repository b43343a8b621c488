import { z } from "zod";
import { EnvelopeBuilder, type AccountSlice, type NormalizeContext, type NormalizeResult } from "../../core";
import { withoutRepeats } from "../meta-shared";
import { mapEcho, mapInbound } from "./messages";
import type { WaChange, WaEntry, WhatsAppWebhook } from "./schema";
import { PLATFORM, Scope, validTime } from "./scope";
import { mapStatus, mapValueError } from "./statuses";

/*
 * One POST = `{object, entry[]}`; every entry has `changes[]`; a `messages` change has `messages[]`,
 * `statuses[]`, `errors[]` and `contacts[]`. Batches hold many of each (up to 1000 updates), so every array is
 * walked, never only the first element (meta-platforms.md §8 #14).
 */

export function normalizeWhatsApp(payload: WhatsAppWebhook, context: NormalizeContext): NormalizeResult {
  const builder = new EnvelopeBuilder(PLATFORM, context);
  for (const entry of payload.entry) {
    for (const change of entry.changes) {
      const scope = new Scope(builder, accountOf(entry, change), change.value.contacts ?? []);
      mapChange(scope, entry, change);
    }
  }
  // the same message twice in one POST is a documented Meta duplicate (meta-platforms.md §8 #10): one event
  return withoutRepeats(builder.result());
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
      scope.b.unhandled(change.field, value, {
        raw_platform_event_id: managementKey(entry, change.field, value),
        reason: `whatsapp "${change.field}" webhook has no catalogue type`,
      });
  }
}

const AccountUpdate = z.looseObject({
  event: z.string(),
  violation_info: z.looseObject({ violation_type: z.string().optional() }).optional(),
  restriction_info: z.array(z.looseObject({ restriction_type: z.string().optional() })).optional(),
  ban_info: z.looseObject({ waba_ban_state: z.string().optional() }).optional(),
});

/** `account_update` events with a catalogue fit (meta-platforms.md §6.3); the rest are unhandled. */
const CONNECTED = new Set(["PARTNER_ADDED", "PARTNER_APP_INSTALLED", "ACCOUNT_RECONNECTED"]);
const DISCONNECTED = new Set(["PARTNER_REMOVED", "PARTNER_APP_UNINSTALLED", "ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED"]);

function mapAccountUpdate(scope: Scope, entry: WaEntry, value: WaChange["value"]): void {
  const parsed = AccountUpdate.safeParse(value);
  const key = managementKey(entry, "account_update", value);
  if (!parsed.success) {
    scope.b.unhandled("account_update", value, { raw_platform_event_id: key, reason: "whatsapp account_update without an event" });
    return;
  }
  const update = parsed.data;
  const common = { key, timestamp: validTime(entry.time), metadata: { raw_platform_event_id: key, platform_account_id: scope.account } };
  if (CONNECTED.has(update.event)) {
    scope.b.event("platform.block.connected", { ...common, data: { reason: update.event } });
  } else if (DISCONNECTED.has(update.event)) {
    scope.b.event("platform.block.disconnected", { ...common, data: { reason: update.event } });
  } else if (update.event === "ACCOUNT_RESTRICTION" || update.event === "ACCOUNT_VIOLATION" || update.event === "DISABLED_UPDATE") {
    const detail =
      update.violation_info?.violation_type ??
      update.ban_info?.waba_ban_state ??
      update.restriction_info?.flatMap((r) => (r.restriction_type ? [r.restriction_type] : [])).join(", ");
    scope.b.event("platform.block.error", {
      ...common,
      data: { error: { code: update.event, message: `whatsapp account_update ${update.event}`, ...(detail ? { details: detail } : {}) } },
    });
  } else {
    scope.b.unhandled(`account_update.${update.event}`, value, { raw_platform_event_id: key });
  }
}

/** Management webhooks have no id: `<waba>:<field>:<event>:<entry.time>` (meta-platforms.md §7). */
function managementKey(entry: WaEntry, field: string, value: WaChange["value"]): string {
  const event = typeof value["event"] === "string" ? value["event"] : undefined;
  return [entry.id, field, event, entry.time].filter((part) => part !== undefined).join(":");
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
