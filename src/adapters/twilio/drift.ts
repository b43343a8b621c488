import { defineDriftCatalogue } from "../../core/drift";
import { TwilioInbound, TwilioStatus, TwilioWebhook } from "./schema";

/**
 * The statuses a Message resource can have, in `MessageStatus` and its older twin `SmsStatus`
 * (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values): inbound `receiving` and
 * `received`, outbound the rest (`partially_delivered` is deprecated but documented).
 */
const MESSAGE_STATUSES = [
  "accepted",
  "scheduled",
  "canceled",
  "queued",
  "sending",
  "sent",
  "failed",
  "delivered",
  "undelivered",
  "receiving",
  "received",
  "read",
  "partially_delivered",
];

/**
 * What Twilio documents a Messaging webhook to carry (docs/drift.md): the parameters of an incoming message
 * (https://www.twilio.com/docs/messaging/guides/webhook-request) and of a status callback
 * (https://www.twilio.com/docs/messaging/guides/track-outbound-message-status), read or not. The body is flat, so
 * the catalogue is a list of names; `MediaUrl{N}` / `MediaContentType{N}` stand for every numbered media pair.
 * Twilio says it adds parameters without notice: those are what this reports.
 */
export const twilioDrift = defineDriftCatalogue({
  schemas: [
    { at: "", schema: TwilioWebhook },
    { at: "", schema: TwilioInbound },
    { at: "", schema: TwilioStatus },
  ],
  ignored: [
    // every request: the deprecated twins of MessageSid, the account, the service, the API version
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "MessagingServiceSid",
    "ApiVersion",
    "SmsStatus",
    // an incoming message
    "Body",
    "NumMedia",
    "NumSegments",
    "MediaUrl{N}",
    "MediaContentType{N}",
    "FromCity",
    "FromState",
    "FromZip",
    "FromCountry",
    "ToCity",
    "ToState",
    "ToZip",
    "ToCountry",
    // WhatsApp (and rich channels): profile, forwarding, locations, buttons, replies, Click-to-WhatsApp ads
    "ProfileName",
    "WaId",
    "Forwarded",
    "FrequentlyForwarded",
    "Latitude",
    "Longitude",
    "Address",
    "Label",
    "ButtonText",
    "ButtonPayload",
    "ButtonType",
    "InteractiveData",
    "FlowData",
    "ChannelMetadata",
    "OriginalRepliedMessageSender",
    "OriginalRepliedMessageSid",
    "ReferralBody",
    "ReferralHeadline",
    "ReferralSourceId",
    "ReferralSourceType",
    "ReferralSourceUrl",
    "ReferralMediaId",
    "ReferralMediaContentType",
    "ReferralMediaUrl",
    "ReferralNumMedia",
    "ReferralCtwaClid",
    // a status callback
    "ErrorCode",
    "RawDlrDoneDate",
    "ChannelInstallSid",
    "ChannelPrefix",
    "ChannelStatusMessage",
    "EventType",
  ],
  values: {
    MessageStatus: MESSAGE_STATUSES,
    SmsStatus: MESSAGE_STATUSES,
    // a rich message's button: a quick reply or an action
    ButtonType: ["REPLY", "ACTION"],
    // read receipts (RCS, WhatsApp)
    EventType: ["READ"],
  },
});
