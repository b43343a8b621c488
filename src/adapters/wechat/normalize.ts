import type { z } from "zod";
import type { ItemMapper, NormalizeContext, NormalizeResult, schemas } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { defined } from "../../core/objects";
import { WeChatPush, type WeChatBody } from "./schema";

/*
 * Mapping (docs/adapters/wechat.md; https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html,
 * https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html):
 *
 * | push                               | event type                             | dedupe key                           |
 * |------------------------------------|----------------------------------------|--------------------------------------|
 * | text, image, voice, video,         | messaging.message.received             | MsgId                                |
 * | shortvideo, location, link, other  |                                        |                                      |
 * | event subscribe                    | messaging.follow (+ conversation.created | FromUserName:CreateTime:Event:EventKey |
 * |                                    |   when it came through a QR code)      |                                      |
 * | event unsubscribe                  | messaging.unfollow                     | same                                 |
 * | event SCAN (a follower scans a QR) | messaging.conversation.created         | same                                 |
 * | event CLICK / VIEW (menu)          | messaging.postback                     | same                                 |
 * | event TEMPLATESENDJOBFINISH        | messaging.message.delivered / .failed  | template:MsgID                       |
 * | any other event                    | unhandled, with the reason             |                                      |
 *
 * WeChat retries a push it got no answer to within 5 s three times: the keys above are the ones its docs give for
 * deduplication (MsgId; sender + CreateTime for events), so a retry yields the same event ids.
 */

type Message = z.output<typeof schemas.Message>;
type People = { contact_id: string; conversation_id: string };

/** The subscribe `EventKey` of a user who followed by scanning a parametric QR code: `qrscene_<scene>`. */
const QR_SCENE = "qrscene_";

/** Pure: no I/O, no clock, no randomness. One push per body. */
export function normalizeWeChat(body: WeChatBody, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder("wechat", context);
  const event = body.MsgType === "event" ? (body as { Event?: unknown }).Event : undefined;
  const kind = body.MsgType === "event" ? `event.${typeof event === "string" ? event.slice(0, 64) : ""}` : body.MsgType;
  const msgId = (body as { MsgId?: unknown }).MsgId;
  const rawId = typeof msgId === "string" ? msgId : undefined;
  b.item(body, { kind: kind.slice(0, 64), rawId, schema: WeChatPush }, (push) => mapPush(b, kind, push));
  return b.result();
}

function mapPush(b: EnvelopeBuilder, kind: string, push: WeChatPush): void {
  const user = push.FromUserName;
  const people: People = { contact_id: b.contactId(user), conversation_id: b.conversationId(user) };
  const metadata = { platform_user_id: user, platform_thread_id: user, platform_account_id: push.ToUserName };
  if (push.MsgType !== "event") {
    const id = push.MsgId;
    const m = b.mapper({
      kind,
      raw: push,
      key: id ?? `${user}:${push.CreateTime}:${push.MsgType}`,
      timestamp: push.CreateTime,
      metadata: { raw_platform_event_id: id ?? `${user}:${push.CreateTime}`, ...metadata },
    });
    if (id === undefined) return m.unhandled(`wechat "${push.MsgType}" message without MsgId`);
    return void m.emit(
      "messaging.message.received",
      { ...people, message: messageOf(b, id, push) },
      { metadata: { platform_message_id: id } },
    );
  }
  const key = [user, push.CreateTime, push.Event ?? "", push.EventKey ?? ""].join(":");
  const m = b.mapper({
    kind,
    raw: push,
    key,
    timestamp: push.CreateTime,
    metadata: { raw_platform_event_id: key, ...metadata },
  });
  mapEvent(b, m, push, people);
}

function mapEvent(b: EnvelopeBuilder, m: ItemMapper, push: WeChatPush, people: People): void {
  const eventKey = push.EventKey === "" ? undefined : push.EventKey;
  switch (push.Event) {
    case "subscribe":
      m.emit("messaging.follow", people);
      // a non-follower scanned a parametric QR code: where they came from is kept as the conversation's referral
      if (eventKey?.startsWith(QR_SCENE) === true) qrReferral(m, people, eventKey.slice(QR_SCENE.length), push.Ticket);
      return;
    case "unsubscribe":
      return void m.emit("messaging.unfollow", people);
    case "SCAN":
      if (eventKey === undefined) return m.unhandled('wechat "SCAN" without EventKey (the scene)');
      return qrReferral(m, people, eventKey, push.Ticket);
    case "CLICK":
      if (eventKey === undefined) return m.unhandled('wechat "CLICK" without EventKey (the menu key)');
      return void m.emit("messaging.postback", { ...people, postback: { payload: eventKey } });
    case "VIEW":
      if (eventKey === undefined) return m.unhandled('wechat "VIEW" without EventKey (the menu link)');
      // a menu item that opens a page: the page is the payload, and says what was tapped
      return void m.emit("messaging.postback", {
        ...people,
        postback: { payload: eventKey, params: { url: eventKey, ...defined({ menu_id: push.MenuId }) } },
      });
    case "TEMPLATESENDJOBFINISH":
      return templateResult(b, m, push, people);
    case "LOCATION":
      return m.unhandled(
        'wechat "LOCATION" is a position WeChat reports on its own (on entering the chat or every 5 s), not a message the user sent; no catalogue type holds it',
      );
    case "MASSSENDJOBFINISH":
      return m.unhandled('wechat "MASSSENDJOBFINISH" reports counts for a broadcast, not one conversation');
    default:
      return m.unhandled();
  }
}

/** A QR code scan: the scene value is the referral of the conversation it opens (as a Viber or Telegram deep link). */
function qrReferral(m: ItemMapper, people: People, scene: string, ticket: string | undefined): void {
  m.emit("messaging.conversation.created", {
    ...people,
    source: "qr_code",
    referral: { source: "qr_code", ref: scene, ...defined({ url: ticketUrl(ticket) }) },
  });
}

/** The QR code's image, which WeChat serves for its ticket (https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html). */
function ticketUrl(ticket: string | undefined): string | undefined {
  return ticket === undefined || ticket === ""
    ? undefined
    : `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`;
}

/**
 * A template message's outcome: `success`, or `failed:user block` / `failed: system failed` (the user refused
 * the account's messages, or WeChat could not send). The id is the `msgid` the send API answered, as `MsgID`.
 */
function templateResult(b: EnvelopeBuilder, m: ItemMapper, push: WeChatPush, people: People): void {
  const id = push.MsgID ?? push.MsgId;
  if (id === undefined) return m.unhandled('wechat "TEMPLATESENDJOBFINISH" without MsgID');
  const status = push.Status ?? "";
  const extra = { key: `template:${id}`, metadata: { raw_platform_event_id: id, platform_message_id: id } };
  if (status === "success")
    return void m.emit("messaging.message.delivered", { ...people, message_ids: [b.messageId(id)] }, extra);
  if (!status.startsWith("failed"))
    return m.unhandled(`wechat "TEMPLATESENDJOBFINISH" with an unknown Status "${status.slice(0, 64)}"`);
  const reason = status.slice("failed".length).replace(/^[:\s]+/, "");
  return void m.emit(
    "messaging.message.failed",
    {
      ...people,
      message_ids: [b.messageId(id)],
      error: { code: reason === "" ? "failed" : reason.replace(/\s+/g, "_").slice(0, 64), message: status },
    },
    extra,
  );
}

/** What the message holds: one WeChat message is one `Message`, media by the `MediaId` WeChat keeps for 3 days. */
function messageOf(b: EnvelopeBuilder, id: string, push: WeChatPush): Message {
  const base = { id: b.messageId(id), direction: "inbound" as const };
  const media = push.MediaId;
  switch (push.MsgType) {
    case "text":
      return { ...base, type: "text", text: push.Content ?? "" };
    case "image":
      return {
        ...base,
        type: "image",
        attachments: [{ type: "image", ...defined({ url: push.PicUrl, media_id: media }) }],
      };
    case "voice":
      return {
        ...base,
        type: "voice",
        // speech recognition's transcript, when the account has it on (it may come empty)
        ...(push.Recognition === undefined || push.Recognition === "" ? {} : { text: push.Recognition }),
        attachments: [
          {
            type: "voice",
            ...defined({ media_id: media, mime_type: push.Format === "amr" ? "audio/amr" : undefined }),
          },
        ],
      };
    case "video":
    case "shortvideo":
      return { ...base, type: "video", attachments: [{ type: "video", ...defined({ media_id: media }) }] };
    case "location":
      if (push.Location_X === undefined || push.Location_Y === undefined) break;
      return {
        ...base,
        type: "location",
        location: {
          latitude: push.Location_X,
          longitude: push.Location_Y,
          ...defined({ name: push.Label === "" ? undefined : push.Label }),
        },
      };
    case "link":
      return {
        ...base,
        type: "share",
        ...defined({ text: push.Title }),
        attachments: [{ type: "link", ...defined({ url: push.Url, title: push.Title, caption: push.Description }) }],
      };
  }
  return {
    ...base,
    type: "unsupported",
    unsupported_reason: `wechat "${push.MsgType.slice(0, 64)}" message has no Message representation`,
  };
}
