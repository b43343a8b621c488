import type { CoverageTable } from "../../core";

/**
 * Every webhook kind Meta documents for Messenger and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/messenger.md renders it, and test/messenger.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "messenger",
  sources: [
    "https://developers.facebook.com/docs/messenger-platform/reference/webhook-events",
    "https://developers.facebook.com/docs/graph-api/webhooks/getting-started/webhooks-for-pages",
  ],
  rows: [
    {
      webhook: "`messages`: `message` (text, attachments, reply, ad referral)",
      emits: ["messaging.message.received"],
      example: "text-message",
    },
    {
      webhook: "`messages`: `message` with `quick_reply`",
      emits: ["messaging.message.received", "messaging.postback"],
      example: "quick-reply",
    },
    {
      webhook:
        "`messages`: `message` with `quick_reply` whose `sender.id` is the Page (no `is_echo`): still the person's tap",
      emits: ["messaging.message.received", "messaging.postback"],
      example: "quick-reply-sender-is-page",
    },
    { webhook: "`message_echoes`: `message` with `is_echo`", emits: ["messaging.message.sent"], example: "echo-text" },
    { webhook: "`message_deliveries`: `delivery`", emits: ["messaging.message.delivered"], example: "delivery-mids" },
    { webhook: "`message_reads`: `read` (watermark)", emits: ["messaging.message.read"], example: "read-watermark" },
    {
      webhook: "`message_reactions`: `reaction` `react`",
      emits: ["messaging.reaction.added"],
      example: "reaction-react",
    },
    {
      webhook: "`message_reactions`: `reaction` `unreact`",
      emits: ["messaging.reaction.removed"],
      example: "reaction-unreact",
    },
    { webhook: "`message_edits`: `message_edit`", emits: ["messaging.message.updated"], example: "message-edit" },
    { webhook: "`messaging_postbacks`: `postback`", emits: ["messaging.postback"], example: "postback" },
    {
      webhook: "`messaging_postbacks`: `postback` from Get Started, or with a `referral`",
      emits: ["messaging.postback", "messaging.conversation.created"],
      example: "postback-get-started",
    },
    {
      webhook: "`messaging_referrals`: `referral` (m.me link, ad, QR code in an existing thread)",
      emits: ["messaging.conversation.updated"],
      example: "referral-shortlink",
    },
    {
      webhook: "`messaging_optins`: `optin` from the checkbox plugin (no `sender`, `optin.user_ref`)",
      emits: ["messaging.follow"],
      example: "optin-checkbox-no-sender",
    },
    {
      webhook: "`messaging_optins`: `optin` from the Send to Messenger plugin (`sender.user_ref`)",
      emits: ["messaging.follow"],
      example: "optin-checkbox-user-ref",
    },
    {
      webhook: "`messaging_optins`: `optin` `notification_messages` (subscribe, resume)",
      emits: ["messaging.follow"],
      example: "optin-notification-messages",
    },
    {
      webhook: "`messaging_optins`: `optin` with `STOP NOTIFICATIONS`",
      emits: ["messaging.unfollow"],
      example: "optin-stop-notifications",
    },
    {
      webhook: '`messaging_optins`: `optin` with `message_request: "accept"` (customer matching)',
      emits: ["messaging.conversation.created"],
      example: "optin-message-request-accept",
    },
    {
      webhook:
        '`messaging_optins`: `message_request: "accept"` beside the item\'s other fields, as older payloads send it',
      emits: ["messaging.conversation.created"],
      example: "message-request-accept-top-level",
    },
    {
      webhook: "`messaging_optins`: `optin` `one_time_notif_req`",
      reported: {
        kind: "optin.one_time_notif_req",
        why: "a one-time notification token is a single-message permission, not a subscription",
      },
      example: "optin-one-time-notification",
    },
    {
      webhook: "`messaging_handovers`: `pass_thread_control`",
      emits: ["messaging.conversation.updated"],
      example: "handover-pass-thread-control",
    },
    {
      webhook: "`messaging_handovers`: `take_thread_control`",
      emits: ["messaging.conversation.updated"],
      example: "handover-take-thread-control",
    },
    {
      webhook: "`messaging_handovers`: `request_thread_control`",
      emits: ["messaging.handoff.requested"],
      example: "handover-request-thread-control",
    },
    {
      webhook: "`messaging_handovers`: `app_roles`",
      reported: { kind: "app_roles", why: "the Page's handover configuration, not a conversation event" },
      example: "app-roles",
    },
    {
      webhook: "`standby`: any item in `standby[]` (another app owns the thread)",
      emits: ["messaging.message.received"],
      example: "standby-message",
    },
    {
      webhook: "`messaging_policy_enforcement`: `policy_enforcement` `block`",
      emits: ["platform.block.error"],
      example: "policy-enforcement-block",
    },
    {
      webhook: "`messaging_policy_enforcement`: `policy_enforcement` `warning` / `unblock`",
      reported: { kind: "policy_enforcement.warning", why: "not an error of the block" },
      example: "policy-enforcement-warning",
    },
    {
      webhook: "`messaging_account_linking`: `account_linking`",
      reported: { kind: "account_linking", why: "no catalogue type" },
      example: "unhandled-kinds",
    },
    {
      webhook: "`response_feedback`: `response_feedback`",
      reported: { kind: "response_feedback", why: "no catalogue type" },
      example: "unhandled-kinds",
    },
    {
      webhook: "`messaging_game_plays`: `game_play`",
      reported: { kind: "game_play", why: "no catalogue type" },
      example: "unhandled-kinds",
    },
    {
      webhook: "`messaging_feedback`: `messaging_feedback` (customer feedback survey)",
      reported: { kind: "messaging_feedback", why: "no catalogue type" },
      example: "messaging-feedback",
    },
    { webhook: "`send_cart`: `order`", emits: ["commerce.order.created"], example: "send-cart" },
    { webhook: "`feed`: comment `add`", emits: ["messaging.comment.created"], example: "feed-comment-add" },
    {
      webhook: "`feed`: the Page's own comment",
      reported: { kind: "feed.comment.add", why: "an echo of the business, skipped so replies cannot loop" },
      example: "feed-page-own-comment",
    },
    {
      webhook: "`feed`: comment edits and removals, reactions, posts, statuses, likes",
      reported: { kind: "feed.<item>.<verb>", why: "no catalogue type" },
      example: "feed-other-items",
    },
    {
      webhook: "`mention`: other Page fields",
      reported: { kind: "changes.<field>", why: "no catalogue type" },
      example: "feed-other-items",
    },
    {
      webhook: '`(any DM field)`: dashboard "Test" payload in `changes[]` (`{field, value}`)',
      emits: ["messaging.postback"],
      example: "dashboard-test-postback",
    },
    {
      webhook: "`(none)`: an entry list other than `messaging`, `standby`, `changes` (e.g. `message[]`)",
      emits: ["messaging.message.received"],
      reported: {
        kind: "entry.<list>",
        why: "Meta documents no such list; each of its items is reported (the example's `messaging` item is mapped)",
      },
      example: "entry-unknown-list",
    },
  ],
} as const satisfies CoverageTable;
