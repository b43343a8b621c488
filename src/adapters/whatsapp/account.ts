import { z } from "zod";
import type { WaEntry, WaUserPreference, WaValue } from "./schema";
import type { Scope } from "./scope";

/*
 * Changes that are not messages: `account_update`, `user_preferences`, and the administration fields that have no
 * catalogue type (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview).
 */

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
export const ACCOUNT_CONNECTED = new Set(["PARTNER_ADDED", "PARTNER_APP_INSTALLED", "ACCOUNT_RECONNECTED"]);
export const ACCOUNT_DISCONNECTED = new Set([
  "PARTNER_REMOVED",
  "PARTNER_APP_UNINSTALLED",
  "ACCOUNT_DELETED",
  "ACCOUNT_OFFBOARDED",
]);
export const ACCOUNT_ERRORS = new Set(["ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE"]);

export function mapAccountUpdate(scope: Scope, entry: WaEntry, value: WaValue): void {
  const parsed = AccountUpdate.safeParse(value);
  const m = scope.accountItem("account_update", value, managementKey(entry, "account_update", value), timeOf(entry));
  if (!parsed.success) {
    m.unhandled("whatsapp account_update without an event");
    return;
  }
  const update = parsed.data;
  if (ACCOUNT_CONNECTED.has(update.event)) {
    m.emit("platform.block.connected", { reason: update.event });
  } else if (ACCOUNT_DISCONNECTED.has(update.event)) {
    m.emit("platform.block.disconnected", { reason: update.event });
  } else if (ACCOUNT_ERRORS.has(update.event)) {
    const detail =
      update.violation_info?.violation_type ??
      update.ban_info?.waba_ban_state ??
      update.restriction_info?.flatMap((r) => (r.restriction_type ? [r.restriction_type] : [])).join(", ");
    m.emit("platform.block.error", {
      error: {
        code: update.event,
        message: `whatsapp account_update ${update.event}`,
        ...(detail ? { details: detail } : {}),
      },
    });
  } else {
    m.unhandled(undefined, `account_update.${update.event}`);
  }
}

/**
 * `user_preferences[]`: a user stopped, resumed or signed up for marketing messages ("Offers and announcements",
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences).
 * Stopping is an unfollow and resuming a follow, as the Messenger adapter maps a marketing-messages opt-in
 * ("STOP NOTIFICATIONS" an unfollow, a subscription a follow): the user no longer wants (or wants again) what
 * the business sends unprompted, while the chat itself stays open. The items have no id: the key is `<user>:<category>:<value>:<timestamp>`.
 */
export function mapUserPreference(scope: Scope, preference: WaUserPreference): void {
  const kind = `user_preferences.${preference.value}`;
  const user = preference.user_id ?? preference.wa_id;
  const key = [user, preference.category, preference.value, preference.timestamp]
    .filter((part) => part !== undefined)
    .join(":");
  const person = scope.person({ userId: preference.user_id, waId: preference.wa_id });
  if (person === undefined) {
    scope.report(kind, preference, key, "whatsapp user_preferences item names no user");
    return;
  }
  const { m } = scope.item({ kind, value: preference, key, rawId: key, timestamp: preference.timestamp }, person);
  if (preference.category !== "marketing_messages") {
    m.unhandled(`whatsapp user preference category "${preference.category}" has no catalogue type`);
  } else if (preference.value === "stop") {
    m.emit("messaging.unfollow", person.data);
  } else if (preference.value === "resume" || preference.value === "signup") {
    // `signup`: the user signed up for marketing messages (a sign-up form's `signup_id` beside it): a follow, as
    // resuming them is
    m.emit("messaging.follow", person.data);
  } else {
    m.unhandled(`whatsapp marketing preference "${preference.value}" is not a stop, a resume or a signup`);
  }
}

const TEMPLATES =
  "template administration (review, quality, category and component changes) is not a conversation event and has no catalogue type";
const NUMBER = "phone number administration (quality rating, display name review) has no catalogue type";
const ACCOUNT = "account administration has no catalogue type";

/**
 * The fields we report, with why. `calls` stays reported: the catalogue has no call events, and a call is not a
 * message. Any field not listed is reported with a generic reason.
 */
export const REPORTED_FIELDS: ReadonlyMap<string, string> = new Map([
  ["calls", "WhatsApp Calling API events (call connect and terminate, call statuses) have no catalogue type"],
  ["message_template_status_update", TEMPLATES],
  ["message_template_quality_update", TEMPLATES],
  ["message_template_components_update", TEMPLATES],
  ["template_category_update", TEMPLATES],
  ["phone_number_quality_update", NUMBER],
  ["phone_number_name_update", NUMBER],
  ["account_alerts", ACCOUNT],
  ["account_review_update", ACCOUNT],
  ["business_capability_update", ACCOUNT],
  ["security", ACCOUNT],
  ["partner_solutions", ACCOUNT],
  ["payment_configuration_update", ACCOUNT],
  [
    "automatic_events",
    "ad conversion events (automatic_events) are not conversation events and have no catalogue type",
  ],
  ["history", "Coexistence chat-history backfill is stored history, not a live conversation event"],
  ["smb_app_state_sync", "Coexistence contact sync is not a conversation event and has no catalogue type"],
  ["standby", "Meta Business Agent standby copies and thread control have no catalogue type"],
  ["messaging_handovers", "Meta Business Agent standby copies and thread control have no catalogue type"],
]);

export function reportedReason(field: string): string {
  return REPORTED_FIELDS.get(field) ?? `whatsapp "${field}" webhook has no catalogue type`;
}

export function mapReportedField(scope: Scope, entry: WaEntry, field: string, value: WaValue): void {
  scope.accountItem(field, value, managementKey(entry, field, value), timeOf(entry)).unhandled(reportedReason(field));
}

/** Management webhooks have no id: `<waba>:<field>:<event>:<entry.time>`. */
function managementKey(entry: WaEntry, field: string, value: WaValue): string {
  const event = typeof value["event"] === "string" ? value["event"] : undefined;
  return [entry.id, field, event, timeOf(entry)].filter((part) => part !== undefined).join(":");
}

/** `entry.time` when it is a string or a number (whether it is a valid time is the builder's rule). */
function timeOf(entry: WaEntry): string | number | undefined {
  return typeof entry.time === "string" || typeof entry.time === "number" ? entry.time : undefined;
}
