import { hashId } from "../../core";
import type { WaError, WaStatus } from "./schema";
import { errorInfo, validTime, type Scope } from "./scope";

/*
 * `statuses[]`: what happened to a message the business sent (meta-platforms.md §4.4). A message gets up to
 * three (sent, delivered, read; delivered may be skipped), so the dedupe key is `wamid:status` (§7) and each is
 * its own event. Statuses carry no content; pricing/conversation blocks are billing data and are not mapped.
 */

export function mapStatus(scope: Scope, status: WaStatus): void {
  const key = `${status.id}:${status.status}`;
  // group statuses name the group in recipient_id and the member in recipient_participant_* (status reference)
  const group = status.recipient_type === "group" ? status.recipient_id : undefined;
  const person =
    group === undefined
      ? scope.person({ userId: status.recipient_user_id, waId: status.recipient_id })
      : scope.person({ userId: status.recipient_participant_user_id, waId: status.recipient_participant_id ?? group }, group);
  if (person === undefined) {
    scope.b.unhandled(`statuses.${status.status}`, status, { raw_platform_event_id: key, reason: "whatsapp status names no recipient" });
    return;
  }
  const common = {
    key,
    timestamp: validTime(status.timestamp),
    metadata: { raw_platform_event_id: key, ...person.metadata, platform_message_id: status.id },
  };
  const messageIds = [scope.b.messageId(status.id)];
  switch (status.status) {
    case "sent":
      scope.b.event("messaging.message.sent", {
        ...common,
        data: {
          ...person.data,
          // a status says nothing about the content, so the message is only its id and direction
          message: { id: scope.b.messageId(status.id), type: "unknown", direction: "outbound" },
        },
      });
      return;
    case "delivered":
      scope.b.event("messaging.message.delivered", { ...common, data: { ...person.data, message_ids: messageIds } });
      return;
    case "read":
    case "played": // first playback of a voice message: it has been heard, which is read for audio
      scope.b.event("messaging.message.read", { ...common, data: { ...person.data, message_ids: messageIds } });
      return;
    case "failed":
      scope.b.event("messaging.message.failed", {
        ...common,
        data: { ...person.data, message_ids: messageIds, error: errorInfo(status.errors?.[0], "message failed") },
      });
      return;
    default:
      // legacy `deleted`/`warning` and anything new: reported, not guessed
      scope.b.unhandled(`statuses.${status.status}`, status, { raw_platform_event_id: key });
  }
}

/**
 * `value.errors[]`: system, app or account level problems (rate limits, 131000 "Something went wrong"…).
 * They have no id and no time, so the key is the number, the code and a hash of the error (§7).
 */
export function mapValueError(scope: Scope, error: WaError): void {
  const info = errorInfo(error, "unknown error");
  const key = `error:${scope.account}:${info.code}:${hashId([JSON.stringify(error)])}`;
  scope.b.event("platform.block.error", {
    key,
    metadata: { raw_platform_event_id: key, platform_account_id: scope.account },
    data: { error: info },
  });
}
