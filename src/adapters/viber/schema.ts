import { z } from "zod";
import { optionalStrings } from "../../core/loose";

/*
 * What a Viber REST Bot API callback holds, as far as normalise reads it
 * (https://developers.viber.com/docs/api/rest-bot-api/#callbacks, https://creators.viber.com/docs/bots-api/).
 * One event per body; loose objects, since Viber adds fields without notice. `message_token` is an int64 sent as a
 * JSON number: the adapter reads the body with `parseJsonKeepingBigIntegers`, so it arrives here as a string when
 * it is beyond 2^53.
 */

/** Tokens and other int64s: exact strings when large, plain numbers when small. */
const Int64 = z.union([z.string().regex(/^-?\d+$/), z.number().int()]);

/**
 * The body's envelope: what must hold for the request to be accepted at all (a wrong one is a 400). The event
 * itself is parsed with `ViberEvent`, so a malformed event is reported unhandled instead of refusing the body.
 */
export const ViberWebhook = z.looseObject({ event: z.string().min(1) });
export type ViberWebhook = z.output<typeof ViberWebhook>;

/** The user object of `subscribed` / `conversation_started` (`user`) and `message` (`sender`). */
export const ViberUser = optionalStrings("name", "avatar", "country", "language").extend({
  id: z.string().min(1),
  api_version: z.number().optional(),
});
export type ViberUser = z.output<typeof ViberUser>;

/** `message.type`: text, picture, video, file, sticker, contact, url, location (and whatever Viber adds). */
export const ViberMessage = optionalStrings("text", "media", "thumbnail", "file_name", "tracking_data").extend({
  type: z.string(),
  /** the documented name is `file_size`; both official SDKs read `size` */
  file_size: z.number().int().nonnegative().optional(),
  size: z.number().int().nonnegative().optional(),
  /** seconds */
  duration: z.number().nonnegative().optional(),
  sticker_id: Int64.optional(),
  location: z.looseObject({ lat: z.coerce.number(), lon: z.coerce.number() }).optional(),
  contact: optionalStrings("name", "phone_number", "avatar").optional(),
});
export type ViberMessage = z.output<typeof ViberMessage>;

/** One callback: `event`, `timestamp` (ms), `message_token`, and the fields of its kind. */
export const ViberEvent = optionalStrings("context", "type", "desc", "chat_hostname").extend({
  event: z.string(),
  timestamp: z.number().optional(),
  message_token: Int64,
  /** `subscribed`, `conversation_started` */
  user: ViberUser.optional(),
  /** `message` */
  sender: ViberUser.optional(),
  message: ViberMessage.optional(),
  /** `unsubscribed`, `delivered`, `seen`, `failed` */
  user_id: z.string().min(1).optional(),
  /** `conversation_started`: whether the user already subscribed (its deep link's `context` and `type` are strings) */
  subscribed: z.boolean().optional(),
});
export type ViberEvent = z.output<typeof ViberEvent>;
