import type { CoverageTable } from "../../core";

/**
 * Every wechat webhook kind and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/wechat.md renders it, and test/wechat.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "wechat",
  sources: [
    "https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html",
    "https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html",
  ],
  rows: [
    {
      webhook: "`text`",
      emits: ["messaging.message.received"],
      example: "text",
    },
    {
      webhook: "`text` with entities outside CDATA",
      emits: ["messaging.message.received"],
      example: "text-escaped",
    },
    {
      webhook: "`text` about an article (`MsgDataId`, `Idx`)",
      emits: ["messaging.message.received"],
      example: "article-text",
    },
    {
      webhook: "`text`, pretty-printed with an XML declaration",
      emits: ["messaging.message.received"],
      example: "pretty-printed",
    },
    {
      webhook: "`image`",
      emits: ["messaging.message.received"],
      example: "image",
    },
    {
      webhook: "`voice` with `Recognition`",
      emits: ["messaging.message.received"],
      example: "voice-recognition",
    },
    {
      webhook: "`voice`, empty `Recognition` after `MsgId`",
      emits: ["messaging.message.received"],
      example: "voice-empty-recognition-last",
    },
    {
      webhook: "`video`",
      emits: ["messaging.message.received"],
      example: "video",
    },
    {
      webhook: "`shortvideo`",
      emits: ["messaging.message.received"],
      example: "shortvideo",
    },
    {
      webhook: "`location`",
      emits: ["messaging.message.received"],
      example: "location",
    },
    {
      webhook: "`link`",
      emits: ["messaging.message.received"],
      example: "link",
    },
    {
      webhook: "another `MsgType` (`miniprogrampage`)",
      emits: ["messaging.message.received"],
      example: "miniprogram-page",
    },
    {
      webhook: "`event` `subscribe`",
      emits: ["messaging.follow"],
      example: "subscribe",
    },
    {
      webhook: "`event` `subscribe` through a QR code (`qrscene_…`)",
      emits: ["messaging.follow", "messaging.conversation.created"],
      example: "subscribe-qrscene",
    },
    {
      webhook: "`event` `unsubscribe`",
      emits: ["messaging.unfollow"],
      example: "unsubscribe",
    },
    {
      webhook: "`event` `SCAN`",
      emits: ["messaging.conversation.created"],
      example: "scan",
    },
    {
      webhook: "`event` `CLICK`",
      emits: ["messaging.postback"],
      example: "menu-click",
    },
    {
      webhook: "`event` `VIEW`",
      emits: ["messaging.postback"],
      example: "menu-view",
    },
    {
      webhook: "`event` `TEMPLATESENDJOBFINISH` `success`",
      emits: ["messaging.message.delivered"],
      example: "template-success",
    },
    {
      webhook: "`event` `TEMPLATESENDJOBFINISH` `failed:user block`",
      emits: ["messaging.message.failed"],
      example: "template-user-block",
    },
    {
      webhook: "`event` `TEMPLATESENDJOBFINISH` `failed: system failed`",
      emits: ["messaging.message.failed"],
      example: "template-system-failed",
    },
    {
      webhook: "`event` `LOCATION`",
      reported: {
        kind: "event.LOCATION",
        why: "a position WeChat reports on its own, not a message the user sent",
      },
      example: "location-report",
    },
    {
      webhook: "`event` `MASSSENDJOBFINISH`",
      reported: {
        kind: "event.MASSSENDJOBFINISH",
        why: "counts for a broadcast, not one conversation",
      },
      example: "masssend-finish",
    },
    {
      webhook: "other events (`scancode_push`, `pic_*`, `location_select`, card events…)",
      reported: {
        kind: "event.scancode_push",
        why: "no catalogue type",
      },
      example: "scancode-push",
    },
    {
      webhook: "a push with a malformed field (`CreateTime` not a number)",
      reported: {
        kind: "text",
        why: "the zod path, the request still answers 200",
      },
      example: "poisoned-push",
    },
  ],
} as const satisfies CoverageTable;
