import type { z } from "zod";
import type { ItemMapper, MetadataInput, NormalizeContext, NormalizeResult, schemas } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { defined, withFields } from "../../core/objects";
import { Event, type LineCallbackRequest, type LineEvent, type LineMessageContent, type LineSource } from "./schema";

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;

const PLATFORM = "line";

/** Message content types that carry a file LINE hosts (or an external URL), as attachment types. */
const MEDIA_TYPES = new Map<string, Attachment["type"] & Message["type"]>([
  ["image", "image"],
  ["video", "video"],
  ["audio", "audio"],
  ["file", "file"],
]);

/** Why a valid LINE event with no catalogue fit is reported as unhandled (docs/adapters/line.md). */
const UNMAPPED = new Map<string, string>([
  ["beacon", "beacon proximity events have no catalogue type"],
  ["videoPlayComplete", "video view completion (analytics) has no catalogue type"],
  ["accountLink", "account linking carries only a nonce, which no catalogue field holds"],
  ["things", "LINE Things events were discontinued in 2025"],
]);

export function normalizeLine(body: LineCallbackRequest, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  if (body.events.length === 0) {
    // the console's Verify button and POST /v2/bot/channel/webhook/test send no event
    // (https://developers.line.biz/en/reference/messaging-api/#test-webhook-endpoint). The body has no id and no
    // time: every Verify of one channel is the same raw event, hence the same id.
    const key = body.destination === undefined ? "verify_request" : `verify_request:${body.destination}`;
    const m = b.mapper({
      kind: "verify_request",
      raw: body,
      key,
      metadata: { raw_platform_event_id: key, ...defined({ platform_account_id: body.destination }) },
    });
    m.emit("platform.webhook.verified", { method: "verify_request" });
    return b.result();
  }
  // one webhook may batch events of different users and types; they are emitted in body order
  for (const event of body.events) {
    const kind = stringField(event, "type") ?? "event";
    b.item(event, { kind, rawId: stringField(event, "webhookEventId"), schema: Event }, (parsed) =>
      mapEvent(b, body.destination, parsed),
    );
  }
  return b.result();
}

/** A string field of a raw event read before it is parsed (to name an item that does not parse); own keys only. */
function stringField(raw: unknown, key: string): string | undefined {
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, key)) return undefined;
  const value = (raw as Record<string, unknown>)[key];
  return typeof value === "string" && value !== "" ? value.slice(0, 256) : undefined;
}

/** Where an event happened: the conversation is the group or room when there is one, else the user. */
interface Chat {
  readonly threadId: string;
  readonly userId: string | undefined;
}

function chatOf(source: LineSource | undefined): Chat | undefined {
  const threadId = source?.groupId ?? source?.roomId ?? source?.userId;
  return threadId === undefined ? undefined : { threadId, userId: source?.userId };
}

/**
 * The dedupe key of an event from before April 2022, which has no `webhookEventId`: derived from the event's own
 * content, so the same stored body always gives the same ids. Type, time (ms), the group or room, the user, and
 * what names the event inside them (the message id, the unsent message id, else the reply token). Two different
 * events that still share it are told apart by the builder, which re-keys the second.
 */
function legacyKey(event: LineEvent): string {
  const source = event.source;
  const subject = event.message?.id ?? event.unsend?.messageId ?? event.replyToken ?? "";
  return [
    "legacy",
    event.type,
    event.timestamp,
    source?.groupId ?? source?.roomId ?? "",
    source?.userId ?? "",
    subject,
  ].join(":");
}

/** The mapper of one LINE event: key, time and metadata from the common properties, built once. */
function mapperOf(
  b: EnvelopeBuilder,
  destination: string | undefined,
  event: LineEvent,
  chat: Chat | undefined,
): ItemMapper {
  // webhookEventId is stable across redeliveries and LINE's own dedupe key
  // (https://developers.line.biz/en/docs/messaging-api/receiving-messages/#webhook-redelivery)
  const key = event.webhookEventId ?? legacyKey(event);
  // the optional keys set one by one in the catalogue's order (no `defined({…})` copies for every event)
  const metadata: MetadataInput = { raw_platform_event_id: key };
  if (destination !== undefined) metadata.platform_account_id = destination;
  if (chat?.threadId !== undefined) metadata.platform_thread_id = chat.threadId;
  if (chat?.userId !== undefined) metadata.platform_user_id = chat.userId;
  if (event.replyToken !== undefined) metadata.reply_token = event.replyToken;
  if (event.deliveryContext?.isRedelivery !== undefined) metadata.is_redelivery = event.deliveryContext.isRedelivery;
  // standby: a module channel holds chat control; record the event but do not reply
  // (https://developers.line.biz/en/reference/messaging-api/#common-properties)
  if (event.mode === "standby") metadata.is_standby = true;
  if (event.webhookEventId === undefined) metadata.legacy_shape = true;
  return b.mapper({ kind: event.type, raw: event, key, timestamp: event.timestamp, metadata });
}

function mapEvent(b: EnvelopeBuilder, destination: string | undefined, event: LineEvent): void {
  const chat = chatOf(event.source);
  const m = mapperOf(b, destination, event, chat);
  const incomplete = (needed: string) => m.unhandled(`line "${event.type}" event without ${needed} cannot be mapped`);
  /**
   * The contact is the user. In groups and rooms LINE may withhold the userId (no consent, desktop clients):
   * then the group or room itself stands as the contact, and metadata has no platform_user_id.
   */
  const people = (at: Chat) => ({
    contact_id: b.contactId(at.userId ?? at.threadId),
    conversation_id: b.conversationId(at.threadId),
  });
  const unmapped = UNMAPPED.get(event.type);
  if (unmapped !== undefined) return m.unhandled(unmapped);
  switch (event.type) {
    case "message": {
      if (chat === undefined || event.message === undefined) return incomplete("a source and a message");
      // `people(chat)` and the message as one literal, not a `withFields` copy (the path most LINE events take)
      const { contact_id, conversation_id } = people(chat);
      m.emit(
        "messaging.message.received",
        { contact_id, conversation_id, message: contentOf(b, event.message) },
        { metadata: { platform_message_id: event.message.id } },
      );
      return;
    }
    case "messageEdited": {
      // a user edited a text message (group chats only; edits may arrive out of order, the largest timestamp is the
      // latest: https://developers.line.biz/en/reference/messaging-api/#edit-event)
      if (chat === undefined || event.message === undefined) return incomplete("a source and a message");
      const message = { ...contentOf(b, event.message), edited_at: b.timestamp(event.timestamp) };
      m.emit(
        "messaging.message.updated",
        { ...people(chat), message },
        { metadata: { platform_message_id: event.message.id } },
      );
      return;
    }
    case "memberJoined":
    case "memberLeft":
      return members(b, m, event, chat, incomplete);
    case "unsend":
      if (chat === undefined || event.unsend === undefined) return incomplete("a source and unsend.messageId");
      m.emit(
        "messaging.message.deleted",
        { ...people(chat), message_id: b.messageId(event.unsend.messageId) },
        { metadata: { platform_message_id: event.unsend.messageId } },
      );
      return;
    case "follow": {
      if (chat === undefined) return incomplete("a source");
      const unblocked = event.follow?.isUnblocked;
      m.emit("messaging.follow", { ...people(chat), ...defined({ unblocked }) });
      // a first follow (not an unblock) opens the 1:1 conversation; LINE says isUnblocked is not always accurate
      if (unblocked !== true) m.emit("messaging.conversation.created", { ...people(chat), source: "follow" });
      return;
    }
    case "unfollow":
      // LINE's unfollow is a block: "Event object for when your LINE Official Account is blocked"
      if (chat === undefined) return incomplete("a source");
      m.emit("messaging.unfollow", people(chat));
      return;
    case "join":
      if (chat === undefined) return incomplete("a source");
      m.emit("messaging.conversation.created", { ...people(chat), source: "join" });
      return;
    case "leave":
      if (chat === undefined) return incomplete("a source");
      m.emit("messaging.conversation.closed", { ...people(chat), closed_by: "bot_left_or_removed" });
      return;
    case "postback":
      if (chat === undefined || event.postback === undefined) return incomplete("a source and a postback");
      m.emit("messaging.postback", { ...people(chat), postback: postbackOf(event.postback) });
      return;
    case "delivery":
      // a LINE notification message (PNP) reached the user; the id is the delivery tag or hashed phone
      // (https://developers.line.biz/en/docs/partner-docs/line-notification-messages/message-sending-complete-webhook-event/)
      if (event.delivery === undefined) return incomplete("delivery.data");
      m.emit("ptm.notification.delivered", {
        ...(chat === undefined ? {} : people(chat)),
        notification: { id: event.delivery.data },
      });
      return;
    case "membership":
      return membership(m, event, chat, people, incomplete);
    case "activated":
    case "deactivated": {
      // module channels: chat control of one chat moved to this channel (activated) or away from it
      // (https://developers.line.biz/en/docs/partner-docs/module/)
      if (chat === undefined) return incomplete("a source");
      const active = event.type === "activated";
      const expireAt = event.chatControl?.expireAt;
      const expires = active && expireAt !== undefined ? { chat_control_expires_at: b.timestamp(expireAt) } : {};
      m.emit("messaging.conversation.updated", {
        ...people(chat),
        changes: { chat_control: active ? "active" : "standby", ...expires },
      });
      return;
    }
    case "module": {
      // a module channel was attached to or detached from the account named by `destination`
      const module = event.module;
      if (module?.type === "attached") m.emit("platform.block.connected", { reason: "module_attached" });
      else if (module?.type === "detached")
        m.emit("platform.block.disconnected", { reason: module.reason ?? "module_detached" });
      else m.unhandled(undefined, module === undefined ? "module" : `module.${module.type}`);
      return;
    }
    case "botSuspended":
      m.emit("platform.block.disconnected", { reason: "bot_suspended" });
      return;
    case "botResumed":
      m.emit("platform.block.connected", { reason: "bot_resumed" });
      return;
    default:
      m.unhandled();
  }
}

/**
 * Other people joining or leaving a group or room the account is in: one event per member LINE discloses
 * (https://developers.line.biz/en/reference/messaging-api/#member-joined-event), keyed by the event and the member.
 */
function members(
  b: EnvelopeBuilder,
  m: ItemMapper,
  event: LineEvent,
  chat: Chat | undefined,
  incomplete: (needed: string) => void,
): void {
  const joined = event.type === "memberJoined";
  const list = (joined ? event.joined : event.left)?.members ?? [];
  if (chat === undefined || list.length === 0) return incomplete(`a source and ${joined ? "joined" : "left"}.members`);
  for (const member of list) {
    const data = { contact_id: b.contactId(member.userId), conversation_id: b.conversationId(chat.threadId) };
    const extra = { key: `${m.base.key}:${member.userId}`, metadata: { platform_user_id: member.userId } };
    if (joined) m.emit("messaging.member.joined", data, extra);
    else m.emit("messaging.member.left", data, extra);
  }
}

/**
 * Paid membership of the account (https://developers.line.biz/en/reference/messaging-api/#membership-event):
 * joining is the purchase of a subscription, renewing updates it, leaving cancels it. The order id ties the three
 * together for one user and plan.
 */
function membership(
  m: ItemMapper,
  event: LineEvent,
  chat: Chat | undefined,
  people: (chat: Chat) => { contact_id: string; conversation_id: string },
  incomplete: (needed: string) => void,
): void {
  const membership = event.membership;
  if (chat?.userId === undefined || membership === undefined) return incomplete("a user source and a membership");
  const plan = String(membership.membershipId);
  const id = `membership:${plan}:${chat.userId}`;
  const around = people(chat);
  switch (membership.type) {
    case "joined":
      m.emit("commerce.order.created", {
        ...around,
        order: { id, status: "joined", items: [{ product_id: plan, quantity: 1 }] },
      });
      return;
    case "renewed":
      m.emit("commerce.order.updated", { ...around, order: { id, status: "renewed" } });
      return;
    case "left":
      m.emit("commerce.order.cancelled", { ...around, order: { id, status: "left" } });
      return;
    default:
      m.unhandled(undefined, `membership.${membership.type}`);
  }
}

function contentOf(b: EnvelopeBuilder, m: LineMessageContent): Message {
  const base = {
    id: b.messageId(m.id),
    direction: "inbound" as const,
    // quotedMessageId names the message replied to; quoteToken is this message's own token for quoting it
    ...(m.quotedMessageId === undefined ? {} : { reply_to: { message_id: b.messageId(m.quotedMessageId) } }),
  };
  const mediaType = MEDIA_TYPES.get(m.type);
  if (mediaType !== undefined) return withFields(base, { type: mediaType, attachments: [mediaOf(m, mediaType)] });
  switch (m.type) {
    case "text": {
      const mentions = (m.mention?.mentionees ?? []).map((mentionee) => ({
        offset: mentionee.index,
        length: mentionee.length,
        // `type: "all"` is @All: everyone in the chat, not a person whose id LINE withheld
        ...defined({
          platform_user_id: mentionee.userId,
          is_self: mentionee.isSelf,
          everyone: mentionee.type === "all" ? true : undefined,
        }),
      }));
      return withFields(base, {
        type: "text" as const,
        ...defined({ text: m.text }),
        ...(mentions.length > 0 ? { mentions } : {}),
      });
    }
    case "location":
      if (m.latitude === undefined || m.longitude === undefined) break;
      return {
        ...base,
        type: "location",
        location: { latitude: m.latitude, longitude: m.longitude, ...defined({ name: m.title, address: m.address }) },
      };
    case "sticker":
      if (m.packageId === undefined || m.stickerId === undefined) break;
      // message stickers carry the words the user typed on them
      return {
        ...base,
        type: "sticker",
        ...defined({ text: m.text }),
        attachments: [{ type: "sticker", media_id: `${m.packageId}:${m.stickerId}` }],
      };
  }
  return {
    ...base,
    type: "unsupported",
    unsupported_reason: `line "${m.type}" message content has no Message representation`,
  };
}

/**
 * LINE-hosted content is fetched by message id (GET /v2/bot/message/{id}/content,
 * https://developers.line.biz/en/reference/messaging-api/#get-content), so that id is the media id; external
 * content has a URL instead. Durations are ms on the wire, seconds in our schema.
 */
function mediaOf(m: LineMessageContent, type: Attachment["type"]): Attachment {
  const external = m.contentProvider?.type === "external";
  return {
    type,
    ...defined({
      media_id: external ? undefined : m.id,
      url: external ? m.contentProvider?.originalContentUrl : undefined,
      file_name: m.fileName,
      size: m.fileSize,
      duration: m.duration === undefined ? undefined : m.duration / 1000,
    }),
  };
}

/** `data` is the payload; `params` (date/time/datetime picker, rich-menu switch) are strings per the OAS. */
function postbackOf(postback: NonNullable<LineEvent["postback"]>): {
  payload: string;
  params?: Record<string, string>;
} {
  const params = Object.entries(postback.params ?? {}).filter(
    (entry): entry is [string, string] => typeof entry[1] === "string",
  );
  return { payload: postback.data, ...(params.length > 0 ? { params: Object.fromEntries(params) } : {}) };
}
