import { z } from "zod";
import { optionalStrings } from "../../core/loose";

/*
 * What a WeChat Official Account push holds, as far as normalise reads it
 * (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html,
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html). The XML reader
 * gives every leaf as a string and parses by element name, never by position (a real voice push carried
 * `Recognition` after `MsgId`). Loose objects: WeChat adds elements without notice.
 */

/** Digits only: `MsgId` is a 64-bit integer beyond 2^53 and stays a string; `CreateTime` is Unix seconds. */
const Digits = z.string().regex(/^\d{1,20}$/, "digits");

/**
 * The body's envelope: what must hold for the request to be accepted at all (a wrong one is a 400). The rest is
 * parsed with `WeChatPush` inside the item, so a malformed push is reported unhandled instead of refused.
 */
export const WeChatBody = z.looseObject({
  /** the account's original id (`gh_…`) */
  ToUserName: z.string().min(1),
  /** the sender's OpenID */
  FromUserName: z.string().min(1),
  MsgType: z.string().min(1),
});
export type WeChatBody = z.output<typeof WeChatBody>;

/** One push: a message (`MsgType` text, image, voice…) or an event (`MsgType` event, `Event` names it). */
export const WeChatPush = optionalStrings(
  // text
  "Content",
  // image
  "PicUrl",
  // image, voice, video, shortvideo
  "MediaId",
  // voice: amr, speex…; `Recognition` only with voice recognition on, and possibly empty
  "Format",
  "Recognition",
  // video, shortvideo
  "ThumbMediaId",
  // location (`Location_X` latitude, `Location_Y` longitude)
  "Label",
  // link
  "Title",
  "Description",
  "Url",
  // events
  "Event",
  "EventKey",
  "Ticket",
  "MenuId",
  "Status",
).extend({
  ToUserName: z.string().min(1),
  FromUserName: z.string().min(1),
  CreateTime: Digits,
  MsgType: z.string().min(1),
  /** messages; `MsgID` (capital D) on job-finish events */
  MsgId: Digits.optional(),
  MsgID: Digits.optional(),
  Location_X: z.coerce.number().min(-90).max(90).optional(),
  Location_Y: z.coerce.number().min(-180).max(180).optional(),
  Scale: z.string().optional(),
});
export type WeChatPush = z.output<typeof WeChatPush>;
