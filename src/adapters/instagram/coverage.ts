import type { CoverageTable } from "../../core";

/**
 * Every webhook kind Meta documents for Instagram and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/instagram.md renders it, and test/instagram.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "instagram",
  sources: [
    "https://developers.facebook.com/documentation/instagram-platform/webhooks/examples",
    "https://developers.facebook.com/docs/graph-api/webhooks/reference/instagram",
  ],
  rows: [
    {
      webhook: "`messages`: `message` (text, attachments, shares, reels, reply, ad referral)",
      emits: ["messaging.message.received"],
      example: "text-message",
    },
    {
      webhook: "`messages`: `message` with `quick_reply`",
      emits: ["messaging.message.received", "messaging.postback"],
      example: "quick-reply",
    },
    {
      webhook: "`messages`: `message` with `reply_to.story` (story reply)",
      emits: ["messaging.story_reply.received"],
      example: "story-reply",
    },
    {
      webhook: "`messages`: `message` with a `story_mention` attachment",
      emits: ["messaging.story_reply.received"],
      example: "story-mention",
    },
    {
      webhook: "`messages`: `message` with `is_deleted` (unsend)",
      emits: ["messaging.message.deleted"],
      example: "message-deleted",
    },
    {
      webhook: "`messages`: `message` with `is_unsupported`",
      emits: ["messaging.message.received"],
      example: "unsupported",
    },
    {
      webhook: "`message_echoes`: `message` with `is_echo` (in `messages` with Facebook Login)",
      emits: ["messaging.message.sent"],
      example: "echo-text",
    },
    {
      webhook: "`message_echoes`: echoed story mention",
      emits: ["messaging.message.sent"],
      example: "story-mention-echo",
    },
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
    { webhook: "`messaging_seen`: `read` of one `mid`", emits: ["messaging.message.read"], example: "messaging-seen" },
    {
      webhook: "`messaging_postbacks`: `postback` (template button, icebreaker)",
      emits: ["messaging.postback"],
      example: "postback-button",
    },
    {
      webhook: "`messaging_postbacks`: `postback` whose `sender.id` is the account (no echo: postbacks never are)",
      emits: ["messaging.postback"],
      example: "postback-sender-is-account",
    },
    {
      webhook: "`messaging_postbacks`: Get Started icebreaker",
      emits: ["messaging.postback", "messaging.conversation.created"],
      example: "postback-icebreaker-get-started",
    },
    {
      webhook: "`messaging_referral`: `referral` (ig.me link, ad)",
      emits: ["messaging.conversation.updated"],
      example: "referral-igme",
    },
    {
      webhook: "`messaging_optins`: `optin` `notification_messages` (Instagram Login)",
      emits: ["messaging.follow"],
      example: "optin-notification-messages",
    },
    {
      webhook: "`messaging_optins`: `optin` with `STOP NOTIFICATIONS`",
      emits: ["messaging.unfollow"],
      example: "optin-stop-notifications",
    },
    {
      webhook: "`messaging_handover`: `pass_thread_control`",
      emits: ["messaging.conversation.updated"],
      example: "handover-pass-thread-control",
    },
    {
      webhook: "`messaging_handover`: `take_thread_control`",
      emits: ["messaging.conversation.updated"],
      example: "handover-take-thread-control",
    },
    {
      webhook: "`messaging_handover`: `request_thread_control`",
      emits: ["messaging.handoff.requested"],
      example: "handover-request-thread-control",
    },
    {
      webhook: "`standby`: any item in `standby[]`",
      emits: ["messaging.message.received"],
      example: "standby-message",
    },
    {
      webhook: "`messaging_policy_enforcement`: `policy_enforcement` `block`",
      emits: ["platform.block.error"],
      example: "policy-enforcement-block",
    },
    {
      webhook: "`response_feedback`: `response_feedback`",
      reported: { kind: "response_feedback", why: "no catalogue type" },
      example: "response-feedback",
    },
    {
      webhook: "`comments`: a new comment, or a reply to one",
      emits: ["messaging.comment.created"],
      example: "comments",
    },
    {
      webhook: "`live_comments`: a comment on a live video",
      emits: ["messaging.comment.created"],
      example: "live-comments",
    },
    {
      webhook: "`comments`: the account's own comment",
      reported: { kind: "changes.comments", why: "an echo of the business, skipped so replies cannot loop" },
      example: "own-comment",
    },
    {
      webhook: "`mentions`: `comment_id` / `media_id` of a mention (Facebook Login)",
      reported: { kind: "changes.mentions", why: "only ids: the author and text must be fetched from the Graph API" },
      example: "mentions-and-story-insights",
    },
    {
      webhook: "`story_insights`: story metrics",
      reported: { kind: "changes.story_insights", why: "no catalogue type" },
      example: "mentions-and-story-insights",
    },
    {
      webhook: '`(any DM field)`: dashboard "Test" payload in `changes[]` (`{field, value}`)',
      emits: ["messaging.message.received"],
      example: "dashboard-test-message",
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
