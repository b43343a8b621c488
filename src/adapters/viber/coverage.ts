import type { CoverageTable } from "../../core";

/**
 * Every callback and message type Viber's REST bot API documents and what becomes of it, in the one coverage form
 * (core/coverage.ts): docs/adapters/viber.md renders it, and test/viber.test.ts normalises each row's example and
 * checks the row.
 */
export const coverage = {
  platform: "viber",
  sources: ["https://developers.viber.com/docs/api/rest-bot-api/#callbacks"],
  rows: [
    { webhook: "`webhook` (after `set_webhook`)", emits: ["platform.webhook.verified"], example: "webhook" },
    { webhook: "`subscribed`", emits: ["messaging.follow"], example: "subscribed" },
    { webhook: "`unsubscribed`", emits: ["messaging.unfollow"], example: "unsubscribed" },
    {
      webhook: "`conversation_started`",
      emits: ["messaging.conversation.created"],
      example: "conversation-started-subscribed",
    },
    {
      webhook: "`conversation_started` with a deep link `context`",
      emits: ["messaging.conversation.created"],
      example: "conversation-started-deep-link",
    },
    { webhook: "`message` `text`", emits: ["messaging.message.received"], example: "message-text" },
    { webhook: "`message` `picture`", emits: ["messaging.message.received"], example: "message-picture" },
    { webhook: "`message` `video`", emits: ["messaging.message.received"], example: "message-video" },
    { webhook: "`message` `file`", emits: ["messaging.message.received"], example: "message-file" },
    { webhook: "`message` `sticker`", emits: ["messaging.message.received"], example: "message-sticker" },
    { webhook: "`message` `url`", emits: ["messaging.message.received"], example: "message-url" },
    { webhook: "`message` `location`", emits: ["messaging.message.received"], example: "message-location" },
    { webhook: "`message` `contact`", emits: ["messaging.message.received"], example: "message-contact" },
    {
      webhook: "`message` of another type (`rich_media`…)",
      emits: ["messaging.message.received"],
      example: "message-rich-media-unsupported",
    },
    { webhook: "`delivered`", emits: ["messaging.message.delivered"], example: "delivered" },
    { webhook: "`seen`", emits: ["messaging.message.read"], example: "seen" },
    { webhook: "`failed`", emits: ["messaging.message.failed"], example: "failed" },
    {
      webhook: "any other `event` (e.g. `client_status`)",
      reported: { kind: "client_status", why: "no catalogue type; reported with its kind, never dropped" },
      example: "unknown-event",
    },
    {
      webhook: "a callback naming no user (other than `webhook`)",
      reported: { kind: "delivered", why: "an event must name its contact" },
      example: "no-user",
    },
    {
      webhook: "a malformed callback (wrong types)",
      reported: { kind: "message", why: "reported with the zod path; the request still answers 200" },
      example: "poisoned-update",
    },
  ],
} as const satisfies CoverageTable;
