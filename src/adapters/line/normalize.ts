import { EnvelopeBuilder, type EventData, type EventType, type NormalizeContext, type NormalizeResult, type schemas } from "../../core";
import type { z } from "zod";
import type { LineCallbackRequest, LineEvent, LineMessageContent, LineSource } from "./schema";

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;
type Metadata = z.output<typeof schemas.Metadata>;

const PLATFORM = "line";

/** Message content types that carry a file LINE hosts (or an external URL), as attachment types. */
const MEDIA_TYPES: Readonly<Record<string, Attachment["type"] & Message["type"]>> = {
  image: "image",
  video: "video",
  audio: "audio",
  file: "file",
};

/** Why a valid LINE event with no catalogue fit is reported as unhandled (docs/adapters/line.md). */
const UNMAPPED: Readonly<Record<string, string>> = {
  memberJoined: "group/room membership changes of other users have no catalogue type",
  memberLeft: "group/room membership changes of other users have no catalogue type",
  beacon: "beacon proximity events have no catalogue type",
  videoPlayComplete: "video view completion (analytics) has no catalogue type",
  accountLink: "account linking carries only a nonce, which no catalogue field holds",
  things: "LINE Things events were discontinued in 2025",
};

export function normalizeLine(body: LineCallbackRequest, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  if (body.events.length === 0) {
    // the console's Verify button and POST /v2/bot/channel/webhook/test send no event (telegram-line.md B3).
    // The body has no id and no time: every Verify of one channel is the same raw event, hence the same id.
    b.event("platform.webhook.verified", {
      key: `verify_request:${body.destination}`,
      data: { method: "verify_request" },
      metadata: { raw_platform_event_id: `verify_request:${body.destination}`, platform_account_id: body.destination },
    });
    return b.result();
  }
  // one webhook may batch events of different users and types; they are emitted in body order
  for (const event of body.events) new EventMapper(b, body.destination, event).map();
  return b.result();
}

/** Where an event happened: the conversation is the group or room when there is one, else the user (B5). */
interface Chat {
  readonly threadId: string;
  readonly userId: string | undefined;
}

function chatOf(source: LineSource | undefined): Chat | undefined {
  const threadId = source?.groupId ?? source?.roomId ?? source?.userId;
  return threadId === undefined ? undefined : { threadId, userId: source?.userId };
}

class EventMapper {
  private readonly chat: Chat | undefined;
  private readonly key: string;
  private readonly timestamp: number;
  private readonly metadata: Metadata;

  constructor(
    private readonly b: EnvelopeBuilder,
    destination: string,
    private readonly event: LineEvent,
  ) {
    this.chat = chatOf(event.source);
    // webhookEventId is stable across redeliveries and LINE's own dedupe key (B4); one raw event never yields
    // two events of the same type here, so it needs no suffix
    this.key = event.webhookEventId;
    this.timestamp = event.timestamp;
    this.metadata = {
      raw_platform_event_id: event.webhookEventId,
      platform_account_id: destination,
      ...(this.chat === undefined ? {} : { platform_thread_id: this.chat.threadId }),
      ...(this.chat?.userId === undefined ? {} : { platform_user_id: this.chat.userId }),
      ...(event.replyToken === undefined ? {} : { reply_token: event.replyToken }),
      ...(event.deliveryContext === undefined ? {} : { is_redelivery: event.deliveryContext.isRedelivery }),
      // standby: a module channel holds chat control; record the event but do not reply (B5)
      ...(event.mode === "standby" ? { is_standby: true } : {}),
    };
  }

  map(): void {
    const event = this.event;
    const chat = this.chat;
    if (Object.hasOwn(UNMAPPED, event.type)) return this.unhandled(event.type, UNMAPPED[event.type]);
    switch (event.type) {
      case "message":
        if (chat === undefined || event.message === undefined) return this.incomplete("a source and a message");
        return this.message(chat, event.message);
      case "unsend":
        if (chat === undefined || event.unsend === undefined) return this.incomplete("a source and unsend.messageId");
        return this.emit(
          "messaging.message.deleted",
          { ...this.people(chat), message_id: this.b.messageId(event.unsend.messageId) },
          { platform_message_id: event.unsend.messageId },
        );
      case "follow":
        if (chat === undefined) return this.incomplete("a source");
        return this.follow(chat);
      case "unfollow":
        // LINE's unfollow is a block: the user can no longer receive messages (B6)
        if (chat === undefined) return this.incomplete("a source");
        return this.emit("messaging.unfollow", this.people(chat));
      case "join":
        if (chat === undefined) return this.incomplete("a source");
        return this.emit("messaging.conversation.created", { ...this.people(chat), source: "join" });
      case "leave":
        if (chat === undefined) return this.incomplete("a source");
        return this.emit("messaging.conversation.closed", { ...this.people(chat), closed_by: "bot_left_or_removed" });
      case "postback":
        if (chat === undefined || event.postback === undefined) return this.incomplete("a source and a postback");
        return this.emit("messaging.postback", { ...this.people(chat), postback: postbackOf(event.postback) });
      case "delivery":
        // a LINE notification message (PNP) reached the user; the id is the delivery tag or hashed phone (B6)
        if (event.delivery === undefined) return this.incomplete("delivery.data");
        return this.emit("ptm.notification.delivered", {
          ...(chat === undefined ? {} : this.people(chat)),
          notification: { id: event.delivery.data },
        });
      case "membership":
        return this.membership(chat);
      case "activated":
      case "deactivated":
        return this.chatControl(chat);
      case "module":
        return this.module();
      case "botSuspended":
        return this.emit("platform.block.disconnected", { reason: "bot_suspended" });
      case "botResumed":
        return this.emit("platform.block.connected", { reason: "bot_resumed" });
      default:
        return this.unhandled(event.type);
    }
  }

  private emit<T extends EventType>(type: T, data: EventData<T>, metadata: Partial<Metadata> = {}): void {
    this.b.event(type, { key: this.key, timestamp: this.timestamp, data, metadata: { ...this.metadata, ...metadata } });
  }

  private unhandled(kind: string, reason?: string): void {
    this.b.unhandled(kind, this.event, { raw_platform_event_id: this.event.webhookEventId, ...(reason === undefined ? {} : { reason }) });
  }

  private incomplete(needed: string): void {
    this.unhandled(this.event.type, `line "${this.event.type}" event without ${needed} cannot be mapped`);
  }

  /**
   * The contact is the user. In groups and rooms LINE may withhold the userId (no consent, desktop clients):
   * then the group or room itself stands as the contact, and metadata has no platform_user_id (B9 #7).
   */
  private people(chat: Chat): { contact_id: string; conversation_id: string } {
    return { contact_id: this.b.contactId(chat.userId ?? chat.threadId), conversation_id: this.b.conversationId(chat.threadId) };
  }

  private message(chat: Chat, content: LineMessageContent): void {
    this.emit("messaging.message.received", { ...this.people(chat), message: this.content(content) }, { platform_message_id: content.id });
  }

  private follow(chat: Chat): void {
    const unblocked = this.event.follow?.isUnblocked;
    this.emit("messaging.follow", { ...this.people(chat), ...(unblocked === undefined ? {} : { unblocked }) });
    // a first follow (not an unblock) opens the 1:1 conversation; LINE says isUnblocked is not always accurate
    if (unblocked !== true) this.emit("messaging.conversation.created", { ...this.people(chat), source: "follow" });
  }

  /**
   * Paid membership of the account (B6, added 2025): joining is the purchase of a subscription, renewing
   * updates it, leaving cancels it. The order id ties the three together for one user and plan.
   */
  private membership(chat: Chat | undefined): void {
    const membership = this.event.membership;
    if (chat?.userId === undefined || membership === undefined) return this.incomplete("a user source and a membership");
    const plan = String(membership.membershipId);
    const id = `membership:${plan}:${chat.userId}`;
    const around = this.people(chat);
    switch (membership.type) {
      case "joined":
        return this.emit("commerce.order.created", { ...around, order: { id, status: "joined", items: [{ product_id: plan, quantity: 1 }] } });
      case "renewed":
        return this.emit("commerce.order.updated", { ...around, order: { id, status: "renewed" } });
      case "left":
        return this.emit("commerce.order.cancelled", { ...around, order: { id, status: "left" } });
      default:
        return this.unhandled(`membership.${membership.type}`);
    }
  }

  /** Module channels: chat control of one chat moved to this channel (activated) or away from it (B6, LN-MOD). */
  private chatControl(chat: Chat | undefined): void {
    if (chat === undefined) return this.incomplete("a source");
    const active = this.event.type === "activated";
    const expireAt = this.event.chatControl?.expireAt;
    this.emit("messaging.conversation.updated", {
      ...this.people(chat),
      changes: {
        chat_control: active ? "active" : "standby",
        ...(active && expireAt !== undefined ? { chat_control_expires_at: this.b.timestamp(expireAt) } : {}),
      },
    });
  }

  /** A module channel was attached to or detached from the account named by `destination` (LN-MOD). */
  private module(): void {
    const module = this.event.module;
    if (module?.type === "attached") return this.emit("platform.block.connected", { reason: "module_attached" });
    if (module?.type === "detached") return this.emit("platform.block.disconnected", { reason: module.reason ?? "module_detached" });
    return this.unhandled(module === undefined ? "module" : `module.${module.type}`);
  }

  private content(m: LineMessageContent): Message {
    const base = {
      id: this.b.messageId(m.id),
      direction: "inbound" as const,
      // quotedMessageId names the message replied to; quoteToken is this message's own token for quoting it
      ...(m.quotedMessageId === undefined ? {} : { reply_to: { message_id: this.b.messageId(m.quotedMessageId) } }),
    };
    const mediaType = MEDIA_TYPES[m.type];
    if (mediaType !== undefined) return { ...base, type: mediaType, attachments: [mediaOf(m, mediaType)] };
    switch (m.type) {
      case "text": {
        const mentions = (m.mention?.mentionees ?? []).map((mentionee) => ({
          offset: mentionee.index,
          length: mentionee.length,
          ...(mentionee.userId === undefined ? {} : { platform_user_id: mentionee.userId }),
          ...(mentionee.isSelf === undefined ? {} : { is_self: mentionee.isSelf }),
        }));
        return { ...base, type: "text", ...(m.text === undefined ? {} : { text: m.text }), ...(mentions.length > 0 ? { mentions } : {}) };
      }
      case "location":
        if (m.latitude === undefined || m.longitude === undefined) break;
        return {
          ...base,
          type: "location",
          location: {
            latitude: m.latitude,
            longitude: m.longitude,
            ...(m.title === undefined ? {} : { name: m.title }),
            ...(m.address === undefined ? {} : { address: m.address }),
          },
        };
      case "sticker":
        if (m.packageId === undefined || m.stickerId === undefined) break;
        return {
          ...base,
          type: "sticker",
          // message stickers carry the words the user typed on them
          ...(m.text === undefined ? {} : { text: m.text }),
          attachments: [{ type: "sticker", media_id: `${m.packageId}:${m.stickerId}` }],
        };
    }
    return { ...base, type: "unsupported", unsupported_reason: `line "${m.type}" message content has no Message representation` };
  }
}

/**
 * LINE-hosted content is fetched by message id (GET /v2/bot/message/{id}/content), so that id is the media id;
 * external content has a URL instead. Durations are ms on the wire, seconds in our schema.
 */
function mediaOf(m: LineMessageContent, type: Attachment["type"]): Attachment {
  const external = m.contentProvider?.type === "external";
  return {
    type,
    ...(external ? {} : { media_id: m.id }),
    ...(external && m.contentProvider?.originalContentUrl !== undefined ? { url: m.contentProvider.originalContentUrl } : {}),
    ...(m.fileName === undefined ? {} : { file_name: m.fileName }),
    ...(m.fileSize === undefined ? {} : { size: m.fileSize }),
    ...(m.duration === undefined ? {} : { duration: m.duration / 1000 }),
  };
}

/** `data` is the payload; `params` (date/time/datetime picker, rich-menu switch) are strings per the OAS. */
function postbackOf(postback: NonNullable<LineEvent["postback"]>): { payload: string; params?: Record<string, string> } {
  const params = Object.entries(postback.params ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return { payload: postback.data, ...(params.length > 0 ? { params: Object.fromEntries(params) } : {}) };
}
