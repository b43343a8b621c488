import type { CoverageTable } from "../../core";

/**
 * Every twilio webhook kind and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/twilio.md renders it, and test/twilio.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "twilio",
  sources: [
    "https://www.twilio.com/docs/messaging/guides/webhook-request",
    "https://www.twilio.com/docs/messaging/guides/track-outbound-message-status",
  ],
  rows: [
    {
      webhook: "inbound SMS text",
      emits: ["messaging.message.received"],
      example: "sms-text",
    },
    {
      webhook: "inbound WhatsApp text with `ProfileName`",
      emits: ["messaging.message.received"],
      example: "whatsapp-text-profile",
    },
    {
      webhook: "inbound MMS (`MediaUrlN`, `MediaContentTypeN`)",
      emits: ["messaging.message.received"],
      example: "mms-two-images",
    },
    {
      webhook: "inbound WhatsApp voice note, `Forwarded=true`",
      emits: ["messaging.message.received"],
      example: "whatsapp-voice-forwarded",
    },
    {
      webhook: "inbound WhatsApp location (`Latitude`, `Longitude`, `Address`, `Label`)",
      emits: ["messaging.message.received"],
      example: "whatsapp-location",
    },
    {
      webhook: "inbound WhatsApp button reply (`ButtonPayload`, `ButtonText`)",
      emits: ["messaging.postback", "messaging.message.received"],
      example: "whatsapp-button-reply",
    },
    {
      webhook: "inbound WhatsApp from a Click-to-WhatsApp ad (`Referral*`)",
      emits: ["messaging.message.received"],
      example: "whatsapp-ctwa-referral",
    },
    {
      webhook: "status `sent`",
      emits: ["messaging.message.sent"],
      example: "status-sent",
    },
    {
      webhook: "status `delivered`",
      emits: ["messaging.message.delivered"],
      example: "status-delivered",
    },
    {
      webhook: "status `read` (`EventType=READ`)",
      emits: ["messaging.message.read"],
      example: "status-read-whatsapp",
    },
    {
      webhook: "status `failed` (`ErrorCode`, `ChannelStatusMessage`)",
      emits: ["messaging.message.failed"],
      example: "status-failed-whatsapp",
    },
    {
      webhook: "status `undelivered` (`ErrorCode`)",
      emits: ["messaging.message.failed"],
      example: "status-undelivered",
    },
    {
      webhook:
        "status `queued` (also `accepted`, `scheduled`, `sending`, `canceled`, `receiving`, `received`, `partially_delivered`)",
      reported: {
        kind: "status.queued",
        why: "the message has not left Twilio yet, so no catalogue state fits",
      },
      example: "status-queued",
    },
    {
      webhook: "an inbound message without `From` or `To`",
      reported: {
        kind: "message",
        why: "reported with the missing field, and the request still answers 200",
      },
      example: "poisoned-inbound",
    },
  ],
} as const satisfies CoverageTable;
