import { metaDmAdapter } from "../meta-shared";
import { mapMessengerChange, mapMessengerItem } from "./normalize";
import { FeedValue, MessengerItem } from "./schema";

/** Page `changes[]` fields other than `feed`, documented and reported unhandled. */
const PAGE_FIELDS = [
  "mention",
  "ratings",
  "conversations",
  "leadgen",
  "live_videos",
  "videos",
  "photos",
  "name",
  "picture",
  "website",
  "email",
  "location",
  "hours",
  "phone",
  "category",
  "description",
  "inbox_labels",
  "page_change_proposal",
  "payment_request_update",
  "messaging_customer_information",
  "messaging_game_plays",
  "messaging_checkout_updates",
  "messaging_payments",
  "messaging_pre_checkouts",
  "messaging_in_thread_lead_form_submit",
  "messaging_appointments",
  "messaging_fblogin_account_linking",
  "feature_access_list",
  "message_context",
  "calls",
];

/**
 * Facebook Messenger: `object: "page"` webhooks signed with the Meta app secret (`X-Hub-Signature-256`), set
 * up with the `hub.challenge` GET handshake. The DM product it shares with Instagram is declared in
 * meta-shared; Messenger adds deliveries, edits, carts and Page `feed` comments. See docs/adapters/messenger.md.
 */
export const messenger = metaDmAdapter({
  platform: "messenger",
  object: "page",
  item: MessengerItem,
  emits: [
    "messaging.message.delivered",
    "messaging.message.updated",
    "messaging.comment.created",
    "commerce.order.created",
  ],
  mapItem: mapMessengerItem,
  mapChange: mapMessengerChange,
  // `seq`: a sequence number Meta documents on deliveries and reads (deprecated, still sent)
  driftExtras: [{ schema: MessengerItem, ignored: ["delivery.seq", "read.seq"] }],
  changes: {
    feed: {
      schemas: [{ at: "value", schema: FeedValue }],
      // the rest of a feed change normalise does not read (posts, photos, reactions, shares…)
      ignored: [
        "value.post.**",
        "value.published",
        "value.reaction_type",
        "value.photo",
        "value.photos.**",
        "value.link",
        "value.video",
        "value.video_id",
        "value.photo_id",
        "value.share_id",
        "value.is_hidden",
        "value.recipient_id",
        "value.event_id",
        "value.edited_time",
      ],
    },
    // Page fields normalise reports as they are (https://developers.facebook.com/docs/graph-api/webhooks/reference/page):
    // known with everything below their `value`
    ...Object.fromEntries(PAGE_FIELDS.map((field) => [field, { ignored: ["value.**"] }])),
  },
});
