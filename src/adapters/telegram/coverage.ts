import type { CoverageTable } from "../../core";

/**
 * Every update kind the Telegram Bot API documents and what becomes of it, in the one coverage form (core/coverage.ts):
 * docs/adapters/telegram.md renders it, and test/telegram.test.ts normalises each row's example and checks the row.
 */
export const coverage = {
  platform: "telegram",
  sources: ["https://core.telegram.org/bots/api#update"],
  rows: [
    { webhook: "`message`", emits: ["messaging.message.received"], example: "message-text-private" },
    {
      webhook: "`message` (`/start` in a private chat)",
      emits: ["messaging.message.received", "messaging.conversation.created"],
      example: "message-start-deep-link",
    },
    {
      webhook: "`message` (`reply_to_story`)",
      emits: ["messaging.story_reply.received"],
      example: "message-reply-to-story",
    },
    {
      webhook: "`message` (forwarded `story`)",
      emits: ["messaging.message.received"],
      example: "message-forwarded-story",
    },
    {
      webhook: "`message` (forwarded before Bot API 7.0: `forward_date` and `forward_from`, no `forward_origin`)",
      emits: ["messaging.message.received"],
      example: "message-forwarded-before-bot-api-7",
    },
    {
      webhook: "`message` (forwarded before Bot API 7.0 from a hidden sender: `forward_sender_name`)",
      emits: ["messaging.message.received"],
      example: "message-forwarded-hidden-sender-before-bot-api-7",
    },
    {
      webhook: "`message` (comment in a channel's discussion group)",
      emits: ["messaging.comment.created"],
      example: "message-comment-on-channel-post",
    },
    {
      webhook: "`message` (own `contact` shared)",
      emits: ["messaging.message.received", "crm.contact.updated"],
      example: "message-contact-own-number",
    },
    {
      webhook: "`message.successful_payment`",
      emits: ["commerce.order.created"],
      example: "message-successful-payment",
    },
    { webhook: "`message.refunded_payment`", emits: ["commerce.order.updated"], example: "message-refunded-payment" },
    { webhook: "`message.web_app_data`", emits: ["messaging.postback"], example: "message-web-app-data" },
    { webhook: "`message.users_shared`", emits: ["messaging.postback"], example: "message-users-shared" },
    { webhook: "`message.chat_shared`", emits: ["messaging.postback"], example: "message-chat-shared" },
    { webhook: "`message.write_access_allowed`", emits: ["messaging.follow"], example: "message-write-access-allowed" },
    {
      webhook: "`message.group_chat_created`",
      emits: ["messaging.conversation.created"],
      example: "message-group-chat-created",
    },
    { webhook: "`message.new_chat_members`", emits: ["messaging.member.joined"], example: "message-new-chat-members" },
    { webhook: "`message.left_chat_member`", emits: ["messaging.member.left"], example: "message-left-chat-member" },
    {
      webhook: "`message.migrate_to_chat_id`",
      reported: {
        kind: "message.migrate_to_chat_id",
        why: "a chat id change has no catalogue type; other service messages (pins, topics, video chats, gifts…) are reported the same way",
      },
      example: "message-migrate-to-supergroup",
    },
    { webhook: "`edited_message`", emits: ["messaging.message.updated"], example: "edited-message" },
    { webhook: "`channel_post`", emits: ["messaging.message.received"], example: "channel-post" },
    { webhook: "`edited_channel_post`", emits: ["messaging.message.updated"], example: "edited-channel-post" },
    {
      webhook: "`business_connection`",
      reported: { kind: "business_connection", why: "connecting a business account has no catalogue type" },
      example: "business-connection",
    },
    {
      webhook: "`business_message` (from the customer)",
      emits: ["messaging.message.received"],
      example: "business-message-incoming",
    },
    {
      webhook: "`business_message` (from the owner or their bot)",
      emits: ["messaging.message.sent"],
      example: "business-message-outgoing",
    },
    { webhook: "`edited_business_message`", emits: ["messaging.message.updated"], example: "edited-business-message" },
    {
      webhook: "`deleted_business_messages`",
      emits: ["messaging.message.deleted"],
      example: "deleted-business-messages",
    },
    { webhook: "`guest_message`", emits: ["messaging.message.received"], example: "guest-message" },
    {
      webhook: "`message_reaction`",
      emits: ["messaging.reaction.added", "messaging.reaction.removed"],
      example: "message-reaction",
    },
    {
      webhook: "`message_reaction_count`",
      reported: { kind: "message_reaction_count", why: "anonymous reaction totals name no contact" },
      example: "message-reaction-count",
    },
    {
      webhook: "`inline_query`",
      reported: { kind: "inline_query", why: "a search request to answer within 30 s, not a conversation event" },
      example: "inline-query",
    },
    {
      webhook: "`chosen_inline_result`",
      reported: { kind: "chosen_inline_result", why: "inline-mode feedback has no catalogue type" },
      example: "chosen-inline-result",
    },
    { webhook: "`callback_query`", emits: ["messaging.postback"], example: "callback-query" },
    {
      webhook: "`callback_query` (neither `data` nor `game_short_name`)",
      reported: { kind: "callback_query", why: "no payload to carry; the reason says which fields are missing" },
      example: "callback-query-without-data",
    },
    {
      webhook: "`shipping_query`",
      reported: {
        kind: "shipping_query",
        why: "a question to answer during checkout; the order is `successful_payment`",
      },
      example: "shipping-query",
    },
    {
      webhook: "`pre_checkout_query`",
      reported: {
        kind: "pre_checkout_query",
        why: "a question to answer within 10 s; the order is `successful_payment`",
      },
      example: "pre-checkout-query",
    },
    {
      webhook: "`purchased_paid_media`",
      reported: { kind: "purchased_paid_media", why: "carries no price or charge id for an order" },
      example: "purchased-paid-media",
    },
    { webhook: "`poll`", reported: { kind: "poll", why: "poll tallies have no catalogue type" }, example: "poll" },
    {
      webhook: "`poll_answer`",
      reported: { kind: "poll_answer", why: "votes have no catalogue type" },
      example: "poll-answer",
    },
    {
      webhook: "`my_chat_member` (private chat: blocked)",
      emits: ["messaging.unfollow"],
      example: "my-chat-member-blocked",
    },
    {
      webhook: "`my_chat_member` (private chat: unblocked)",
      emits: ["messaging.follow"],
      example: "my-chat-member-unblocked",
    },
    {
      webhook: "`my_chat_member` (bot added to a group)",
      emits: ["messaging.conversation.created"],
      example: "my-chat-member-added-to-group",
    },
    {
      webhook: "`my_chat_member` (bot removed)",
      emits: ["messaging.conversation.closed"],
      example: "my-chat-member-removed-from-group",
    },
    {
      webhook: "`my_chat_member` (rights of the bot changed)",
      reported: { kind: "my_chat_member", why: "a change of rights has no catalogue type" },
      example: "my-chat-member-promoted",
    },
    { webhook: "`chat_member` (joined)", emits: ["messaging.member.joined"], example: "chat-member" },
    {
      webhook: "`chat_member` (left, removed or banned)",
      emits: ["messaging.member.left"],
      example: "chat-member-banned-by-admin",
    },
    {
      webhook: "`chat_member` (rights changed)",
      reported: { kind: "chat_member", why: "a change of a member's rights has no catalogue type" },
      example: "chat-member-promoted",
    },
    {
      webhook: "`chat_join_request`",
      reported: { kind: "chat_join_request", why: "a request to approve, not a membership yet" },
      example: "chat-join-request",
    },
    {
      webhook: "`chat_boost`",
      reported: { kind: "chat_boost", why: "boosts have no catalogue type" },
      example: "chat-boost",
    },
    {
      webhook: "`removed_chat_boost`",
      reported: { kind: "removed_chat_boost", why: "boosts have no catalogue type" },
      example: "removed-chat-boost",
    },
    {
      webhook: "`managed_bot`",
      reported: { kind: "managed_bot", why: "managing another bot has no catalogue type" },
      example: "managed-bot",
    },
    {
      webhook: "`subscription`",
      reported: { kind: "subscription", why: "Bot API 10.2; its shape is provisional" },
      example: "subscription",
    },
    {
      webhook: "a second kind in one update",
      emits: ["messaging.message.received"],
      reported: { kind: "edited_message", why: "the first kind with a mapping is mapped, each other kind is reported" },
      example: "update-with-two-kinds",
    },
  ],
} as const satisfies CoverageTable;
