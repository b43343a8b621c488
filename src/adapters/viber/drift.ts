import { defineDriftCatalogue } from "../../core/drift";
import { ViberEvent } from "./schema";

/**
 * What Viber documents a callback to hold (https://developers.viber.com/docs/api/rest-bot-api/#callbacks), for
 * drift reports (docs/drift.md): the schema normalise reads, the fields it leaves alone, and the known values of
 * `event`, `message.type` and `conversation_started`'s `type`.
 */
export const viberDrift = defineDriftCatalogue({
  schemas: [{ at: "", schema: ViberEvent }],
  ignored: [
    // `message`: whether the message was sent silently; `conversation_started`: the user's API level
    "silent",
    "api_version",
    // rich media and keyboards arrive as Viber sends them to clients; normalise reports them unsupported
    "message.rich_media.**",
    "message.keyboard.**",
    "message.alt_text",
  ],
  values: {
    event: ["webhook", "subscribed", "unsubscribed", "conversation_started", "message", "delivered", "seen", "failed"],
    "message.type": ["text", "picture", "video", "file", "sticker", "contact", "url", "location", "rich_media"],
    // "open"; "additional types may be added in the future" (Viber)
    type: ["open"],
  },
});
