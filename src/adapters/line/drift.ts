import { defineDriftCatalogue } from "../../core/drift";
import { CallbackRequest, Event, MessageContent, Source } from "./schema";

/*
 * What LINE documents a webhook body to hold (https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects),
 * for drift reports (docs/drift.md): the schemas normalise reads, the fields it leaves alone, and the known values
 * of the event, source and message `type`s.
 */

/** Event types LINE documents; those normalise does not map are reported unhandled, and are still known. */
const EVENT_TYPES = [
  "message",
  "messageEdited",
  "unsend",
  "follow",
  "unfollow",
  "join",
  "leave",
  "memberJoined",
  "memberLeft",
  "postback",
  "videoPlayComplete",
  "beacon",
  "accountLink",
  "things",
  "membership",
  "module",
  "activated",
  "deactivated",
  "botSuspended",
  "botResumed",
  // a PNP message delivered ("pnpDeliveryCompletion" in the docs' headings)
  "delivery",
];

export const lineDrift = defineDriftCatalogue({
  schemas: [
    { at: "", schema: CallbackRequest },
    { at: "events[]", schema: Event },
  ],
  ignored: [
    // the kinds normalise does not map: documented, so known, contents and all
    "events[].videoPlayComplete.**",
    "events[].beacon.**",
    "events[].link.**",
    "events[].things.**",
    "events[].membership.**",
    "events[].module.**",
  ],
  values: {
    "events[].type": EVENT_TYPES,
    "events[].mode": ["active", "standby"],
  },
  bySchema: [
    { schema: Source, values: { type: ["user", "group", "room"] } },
    {
      schema: MessageContent,
      ignored: [
        "markAsReadToken",
        "quoteToken",
        "emojis.**",
        "imageSet.**",
        "contentProvider.**",
        "mention.mentionees[].type",
        "keywords",
        "stickerResourceType",
        "text",
      ],
      values: {
        type: ["text", "image", "video", "audio", "file", "location", "sticker"],
      },
    },
  ],
});
