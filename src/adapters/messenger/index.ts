import { metaDmAdapter } from "../meta-shared";
import { mapMessengerChange, mapMessengerItem } from "./normalize";
import { MessengerItem } from "./schema";

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
});
