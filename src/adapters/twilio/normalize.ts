import type { ItemMapper, NormalizeContext, NormalizeResult, schemas } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { defined } from "../../core/objects";
import type { z } from "zod";
import { TwilioInbound, TwilioStatus, type TwilioWebhook } from "./schema";

/*
 * Mapping (docs/adapters/twilio.md; https://www.twilio.com/docs/messaging/guides/webhook-request,
 * https://www.twilio.com/docs/messaging/guides/track-outbound-message-status):
 *
 * | twilio callback                         | event type                           | dedupe key                | time     |
 * |-----------------------------------------|--------------------------------------|---------------------------|----------|
 * | inbound message (no MessageStatus)      | messaging.message.received           | <MessageSid>              | received |
 * | inbound with ButtonPayload / ButtonText | messaging.postback (+ .received)     | <MessageSid>              | received |
 * | status sent                             | messaging.message.sent               | <MessageSid>:sent         | received |
 * | status delivered                        | messaging.message.delivered          | <MessageSid>:delivered    | received |
 * | status read (or EventType=READ)         | messaging.message.read               | <MessageSid>:read         | received |
 * | status failed / undelivered             | messaging.message.failed             | <MessageSid>:<status>     | received |
 * | any other status (queued, sending, …)   | unhandled, with the reason           |                           |          |
 *
 * Twilio sends no event time with either callback (only SMS `RawDlrDoneDate`, to the minute), so every event is
 * timed at receipt. Status callbacks may arrive out of order (Twilio says so): each status is its own event, and the
 * delivery step's `statusOrder` option holds back one that would move a message backwards (docs/reliability.md).
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Params = Readonly<Record<string, unknown>>;

/** Statuses before the carrier took the message (or that Twilio deprecated): reported, not guessed into `sent`. */
const NOT_A_CATALOGUE_STATE: Readonly<Record<string, string>> = {
  accepted: "the message is accepted by a Messaging Service and not yet queued",
  scheduled: "the message is scheduled and not yet sent",
  queued: "the message is queued at Twilio and not yet sent",
  sending: "the message is being handed to the carrier and not yet sent",
  canceled: "a scheduled message was canceled before it was sent",
  receiving: "an inbound message is still being received",
  received: "an inbound message's own status: the message itself is the received event",
  partially_delivered: "a deprecated status",
};

/** Pure: no I/O, no clock, no randomness. One callback per body, mapped in isolation. */
export function normalizeTwilio(body: TwilioWebhook, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder("twilio", context);
  const params = body as Params;
  const sid = body.MessageSid;
  // WhatsApp and RCS read receipts say `EventType=READ` beside the status: the key names what the event is
  const given = text(params["MessageStatus"]);
  const status = given === undefined ? undefined : params["EventType"] === "READ" ? "read" : given;
  if (status === undefined) {
    b.item(body, { kind: "message", rawId: sid, schema: TwilioInbound }, (item) => mapInbound(b, item as Params));
  } else {
    const kind = `status.${status.slice(0, 64)}`;
    const key = `${sid}:${status}`;
    b.item(body, { kind, rawId: key, schema: TwilioStatus }, (item) =>
      mapStatus(b, item as Params, { kind, key, status }),
    );
  }
  return b.result();
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The address without its channel prefix (`whatsapp:+14155550123` → `+14155550123`). */
function bare(address: string): string {
  const colon = address.indexOf(":");
  return colon === -1 ? address : address.slice(colon + 1);
}

/**
 * The people of a callback: the contact is the party that is not ours (`From` of an inbound message, `To` of a
 * status callback), and the conversation is our address with theirs, so a status names the same conversation as
 * the messages it answers, and one account's numbers keep separate conversations.
 */
function people(b: EnvelopeBuilder, ours: string, theirs: string) {
  return { contact_id: b.contactId(theirs), conversation_id: b.conversationId(`${ours}|${theirs}`) };
}

function mapInbound(b: EnvelopeBuilder, params: Params): void {
  const sid = params["MessageSid"] as string;
  const from = params["From"] as string;
  const to = params["To"] as string;
  const m = b.mapper({
    kind: "message",
    raw: params,
    key: sid,
    metadata: {
      raw_platform_event_id: sid,
      platform_message_id: sid,
      platform_user_id: from,
      platform_thread_id: from,
      ...defined({ platform_account_id: text(params["AccountSid"]) }),
    },
  });
  const phone = bare(from);
  const contact = defined({ name: text(params["ProfileName"]), ...(/^\+?\d+$/.test(phone) ? { phone } : {}) });
  const data = { ...people(b, to, from), ...(Object.keys(contact).length === 0 ? {} : { contact }) };
  const message = messageOf(b, params, sid);
  const payload = text(params["ButtonPayload"]);
  const button = text(params["ButtonText"]);
  if (payload !== undefined || button !== undefined) {
    const quoted = text(params["OriginalRepliedMessageSid"]);
    m.emit("messaging.postback", {
      ...data,
      postback: {
        payload: payload ?? button!,
        ...defined({ title: button, message_id: quoted === undefined ? undefined : b.messageId(quoted) }),
      },
    });
    // the tap shows in the chat as a message with the button's text, as WhatsApp's own button replies do
    m.emit("messaging.message.received", {
      ...data,
      message: { ...message, type: "interactive", text: text(params["Body"]) ?? button ?? payload! },
    });
    return;
  }
  m.emit("messaging.message.received", { ...data, message });
}

/** `MediaUrl{N}` with `MediaContentType{N}`, zero-based, for N below `NumMedia` (capped: a hostile count is not a loop). */
function attachmentsOf(params: Params): Attachment[] {
  const count = Math.min(Number.parseInt(text(params["NumMedia"]) ?? "0", 10) || 0, 20);
  const out: Attachment[] = [];
  for (let index = 0; index < count; index++) {
    const url = text(params[`MediaUrl${index}`]);
    if (url === undefined) continue;
    const mime = text(params[`MediaContentType${index}`]);
    out.push({ type: attachmentType(mime), url, ...defined({ mime_type: mime }) });
  }
  return out;
}

function attachmentType(mime: string | undefined): "image" | "video" | "audio" | "file" {
  const top = mime?.split("/")[0]?.toLowerCase();
  return top === "image" || top === "video" || top === "audio" ? top : "file";
}

function messageOf(b: EnvelopeBuilder, params: Params, sid: string): Message {
  const base = {
    id: b.messageId(sid),
    direction: "inbound" as const,
    ...(params["Forwarded"] === "true" || params["FrequentlyForwarded"] === "true" ? { forwarded: true } : {}),
    ...referralOf(params),
  };
  const body = text(params["Body"]);
  const latitude = Number.parseFloat(text(params["Latitude"]) ?? "");
  const longitude = Number.parseFloat(text(params["Longitude"]) ?? "");
  if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
    const location = {
      latitude,
      longitude,
      ...defined({ name: text(params["Label"]), address: text(params["Address"]) }),
    };
    return { ...base, type: "location", location, ...defined({ text: body }) };
  }
  const attachments = attachmentsOf(params);
  if (attachments.length > 0)
    return { ...base, type: attachmentType(attachments[0]!.mime_type), ...defined({ text: body }), attachments };
  return { ...base, type: "text", text: body ?? "" };
}

/** A WhatsApp conversation started from a Click-to-WhatsApp ad carries the ad as `Referral*` parameters. */
function referralOf(params: Params): { referral?: z.output<typeof schemas.Referral> } {
  const referral = defined({
    source: text(params["ReferralSourceType"]),
    ad_id: text(params["ReferralSourceId"]),
    url: text(params["ReferralSourceUrl"]),
    headline: text(params["ReferralHeadline"]),
    body: text(params["ReferralBody"]),
    media_type: text(params["ReferralMediaContentType"]),
    media_url: text(params["ReferralMediaUrl"]),
    ctwa_clid: text(params["ReferralCtwaClid"]),
  });
  return Object.keys(referral).length === 0 ? {} : { referral };
}

function mapStatus(b: EnvelopeBuilder, params: Params, item: { kind: string; key: string; status: string }): void {
  const { kind, key, status } = item;
  const sid = params["MessageSid"] as string;
  const to = params["To"] as string;
  const from = text(params["From"]) ?? text(params["MessagingServiceSid"]) ?? "";
  const m: ItemMapper = b.mapper({
    kind,
    raw: params,
    key,
    metadata: {
      raw_platform_event_id: key,
      platform_message_id: sid,
      platform_user_id: to,
      platform_thread_id: to,
      ...defined({ platform_account_id: text(params["AccountSid"]) }),
    },
  });
  const data = people(b, from, to);
  const messageIds = [b.messageId(sid)];
  switch (status) {
    case "sent":
      // a status says nothing about the content: the message is only its id and direction
      return void m.emit("messaging.message.sent", {
        ...data,
        message: { id: b.messageId(sid), type: "unknown", direction: "outbound" },
      });
    case "delivered":
      return void m.emit("messaging.message.delivered", { ...data, message_ids: messageIds });
    case "read":
      return void m.emit("messaging.message.read", { ...data, message_ids: messageIds });
    case "failed":
    case "undelivered": {
      const code = text(params["ErrorCode"]);
      const detail = text(params["ChannelStatusMessage"]) ?? text(params["ErrorMessage"]);
      return void m.emit("messaging.message.failed", {
        ...data,
        message_ids: messageIds,
        error: {
          code: code ?? status,
          message: detail ?? `twilio reported the message ${status}${code === undefined ? "" : ` (error ${code})`}`,
          ...defined({ details: code === undefined ? undefined : `https://www.twilio.com/docs/api/errors/${code}` }),
        },
      });
    }
    default:
      return m.unhandled(
        NOT_A_CATALOGUE_STATE[status] ?? `twilio status "${status.slice(0, 64)}" has no catalogue type`,
      );
  }
}
