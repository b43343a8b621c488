import { hashId } from "../../core/adapter-kit";
import { boundedRaw, withFields } from "../../core/objects";
import type { WaError, WaStatus } from "./schema";
import { dataWithMessage, dataWithMessageIds, errorInfo, type Scope } from "./scope";

/*
 * `statuses[]`: what happened to a message the business sent
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status).
 * A message gets up to three (sent, delivered, read; delivered may be skipped), so the dedupe key is
 * `wamid:status` and each is its own event. Statuses carry no content; pricing/conversation blocks are billing
 * data and are not mapped.
 */

export function mapStatus(scope: Scope, status: WaStatus): void {
  const key = `${status.id}:${status.status}`;
  const kind = `statuses.${status.status}`;
  // group statuses name the group in recipient_id and the member in recipient_participant_* (status reference)
  const group = status.recipient_type === "group" ? status.recipient_id : undefined;
  const person =
    group === undefined
      ? scope.person({ userId: status.recipient_user_id, waId: status.recipient_id })
      : scope.person(
          { userId: status.recipient_participant_user_id, waId: status.recipient_participant_id ?? group },
          group,
        );
  if (person === undefined) {
    scope.report(kind, status, key, "whatsapp status names no recipient");
    return;
  }
  const { m } = scope.item(
    { kind, value: status, key, rawId: key, messageId: status.id, timestamp: status.timestamp },
    person,
  );
  const message = scope.b.messageId(status.id);
  const messageIds = [message];
  switch (status.status) {
    case "sent":
      // a status says nothing about the content, so the message is only its id and direction
      m.emit(
        "messaging.message.sent",
        dataWithMessage(person.data, { id: message, type: "unknown" as const, direction: "outbound" as const }),
      );
      return;
    case "delivered":
      m.emit("messaging.message.delivered", dataWithMessageIds(person.data, messageIds));
      return;
    case "read":
    case "played": // first playback of a voice message: it has been heard, which is read for audio
      m.emit("messaging.message.read", dataWithMessageIds(person.data, messageIds));
      return;
    case "failed":
      m.emit(
        "messaging.message.failed",
        withFields(person.data, { message_ids: messageIds, error: errorInfo(status.errors?.[0], "message failed") }),
      );
      return;
    default:
      // legacy `deleted`/`warning` and anything new: reported, not guessed
      m.unhandled();
  }
}

/**
 * `value.errors[]`: system, app or account level problems (rate limits, 131000 "Something went wrong"…).
 * They have no id and no time, so the key is the number, the code and a hash of the error. The hash is of the
 * depth-bounded error: the same text as the error itself for every real one, and no stack overflow for a
 * hostile one nested thousands deep.
 */
export function mapValueError(scope: Scope, error: WaError): void {
  const info = errorInfo(error, "unknown error");
  const key = `error:${scope.account}:${info.code}:${hashId([JSON.stringify(boundedRaw(error))])}`;
  scope.accountItem("errors", error, key).emit("platform.block.error", { error: info });
}
