import type { CoverageTable } from "../../core";

/**
 * Every webhook kind LINE documents and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/line.md renders it, and test/line.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "line",
  sources: ["https://developers.line.biz/en/reference/messaging-api/#webhooks"],
  rows: [
    { webhook: "(empty `events`: Verify)", emits: ["platform.webhook.verified"], example: "verify-request" },
    { webhook: "`message` (text)", emits: ["messaging.message.received"], example: "message-text" },
    { webhook: "`message` (image)", emits: ["messaging.message.received"], example: "message-image" },
    { webhook: "`message` (video)", emits: ["messaging.message.received"], example: "message-video-external" },
    { webhook: "`message` (audio)", emits: ["messaging.message.received"], example: "message-audio" },
    { webhook: "`message` (file)", emits: ["messaging.message.received"], example: "message-file" },
    { webhook: "`message` (location)", emits: ["messaging.message.received"], example: "message-location" },
    { webhook: "`message` (sticker)", emits: ["messaging.message.received"], example: "message-sticker-group" },
    { webhook: "`messageEdited`", emits: ["messaging.message.updated"], example: "message-edited-out-of-order" },
    { webhook: "`unsend`", emits: ["messaging.message.deleted"], example: "unsend-group" },
    { webhook: "`follow`", emits: ["messaging.follow", "messaging.conversation.created"], example: "follow" },
    { webhook: "`unfollow`", emits: ["messaging.unfollow"], example: "unfollow" },
    { webhook: "`join`", emits: ["messaging.conversation.created"], example: "join-group" },
    { webhook: "`leave`", emits: ["messaging.conversation.closed"], example: "leave-group" },
    { webhook: "`memberJoined`", emits: ["messaging.member.joined"], example: "member-joined" },
    { webhook: "`memberLeft`", emits: ["messaging.member.left"], example: "member-left" },
    { webhook: "`postback`", emits: ["messaging.postback"], example: "postback" },
    {
      webhook: "`videoPlayComplete`",
      reported: { kind: "videoPlayComplete", why: "view-completion analytics have no catalogue type" },
      example: "video-play-complete",
    },
    {
      webhook: "`beacon`",
      reported: { kind: "beacon", why: "proximity events have no catalogue type" },
      example: "beacon",
    },
    {
      webhook: "`accountLink`",
      reported: { kind: "accountLink", why: "it carries only the link nonce, which no catalogue field holds" },
      example: "account-link-ok",
    },
    { webhook: "`membership` (joined)", emits: ["commerce.order.created"], example: "membership-joined" },
    { webhook: "`membership` (renewed)", emits: ["commerce.order.updated"], example: "membership-renewed" },
    { webhook: "`membership` (left)", emits: ["commerce.order.cancelled"], example: "membership-left" },
    { webhook: "`module` (attached)", emits: ["platform.block.connected"], example: "module-attached" },
    { webhook: "`module` (detached)", emits: ["platform.block.disconnected"], example: "module-detached" },
    { webhook: "`activated`", emits: ["messaging.conversation.updated"], example: "activated" },
    { webhook: "`deactivated`", emits: ["messaging.conversation.updated"], example: "deactivated" },
    { webhook: "`botSuspended`", emits: ["platform.block.disconnected"], example: "bot-suspended" },
    { webhook: "`botResumed`", emits: ["platform.block.connected"], example: "bot-resumed" },
    { webhook: "`delivery`", emits: ["ptm.notification.delivered"], example: "delivery" },
    {
      webhook: "`things`",
      reported: { kind: "things", why: "LINE Things was discontinued in 2025" },
      example: "things-discontinued",
    },
    {
      webhook: "any other `type`",
      reported: { kind: "reactionAdded", why: "passed through so a new LINE event type never fails the body" },
      example: "unknown-event-type",
    },
  ],
} as const satisfies CoverageTable;
