import type { DriftCatalogue } from "../../core";
import { defineDriftCatalogue } from "../../core/drift";
import { WeChatBody } from "./schema";

/** Members of every message (not of events): its id, and the article it was sent from, when it was */
const MESSAGE = ["MsgId", "MsgDataId", "Idx"];

const message = (...members: string[]): DriftCatalogue => ({ ignored: [...MESSAGE, ...members] });

/**
 * What WeChat documents an Official Account push to hold (docs/drift.md), by `MsgType`, since each type has its
 * own elements: the standard messages
 * (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html) and the
 * events (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html, the
 * custom-menu events of https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Custom_Menu_Push_Events.html
 * and the job-finish events of template and mass messages). A `MsgType` no case names is drift, and so is an
 * element a type does not document. Nested elements (`ScanCodeInfo`) are paths like any other.
 */
export const wechatDrift = defineDriftCatalogue({
  schemas: [{ at: "", schema: WeChatBody }],
  // `Encrypt`: compatible mode sends the ciphertext beside the plain elements
  ignored: ["CreateTime", "Encrypt"],
  variants: [
    {
      at: "",
      by: "MsgType",
      cases: {
        text: message("Content"),
        image: message("PicUrl", "MediaId"),
        voice: message("MediaId", "Format", "Recognition"),
        video: message("MediaId", "ThumbMediaId"),
        shortvideo: message("MediaId", "ThumbMediaId"),
        location: message("Location_X", "Location_Y", "Scale", "Label"),
        link: message("Title", "Description", "Url"),
        event: {
          ignored: [
            // follow / unfollow / scan of a parametric QR code, menu clicks and views
            "Event",
            "EventKey",
            "Ticket",
            "MenuId",
            // LOCATION: the position reported on entering the chat
            "Latitude",
            "Longitude",
            "Precision",
            // menu scan, photo and location-picker events
            "ScanCodeInfo.ScanType",
            "ScanCodeInfo.ScanResult",
            "SendPicsInfo.Count",
            "SendPicsInfo.PicList.**",
            "SendLocationInfo.Location_X",
            "SendLocationInfo.Location_Y",
            "SendLocationInfo.Scale",
            "SendLocationInfo.Label",
            "SendLocationInfo.Poiname",
            // TEMPLATESENDJOBFINISH, MASSSENDJOBFINISH (`MsgID`, capital D)
            "MsgID",
            "Status",
            "TotalCount",
            "FilterCount",
            "SentCount",
            "ErrorCount",
            "CopyrightCheckResult.**",
            "ArticleUrlResult.**",
          ],
          values: {
            Event: [
              "subscribe",
              "unsubscribe",
              "SCAN",
              "LOCATION",
              "CLICK",
              "VIEW",
              "scancode_push",
              "scancode_waitmsg",
              "pic_sysphoto",
              "pic_photo_or_album",
              "pic_weixin",
              "location_select",
              "view_miniprogram",
              "TEMPLATESENDJOBFINISH",
              "MASSSENDJOBFINISH",
            ],
          },
        },
      },
    },
  ],
});
