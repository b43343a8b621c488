import type { ItemMapper, NormalizeContext, NormalizeResult, schemas } from "../../core";
import { EnvelopeBuilder } from "../../core/builder";
import { defined } from "../../core/objects";
import type { z } from "zod";
import { ViberEvent, type ViberMessage, type ViberUser, type ViberWebhook } from "./schema";

/*
 * Mapping (docs/adapters/viber.md; https://developers.viber.com/docs/api/rest-bot-api/#callbacks):
 *
 * | viber event            | event type                        | dedupe key                     | time       |
 * |------------------------|-----------------------------------|--------------------------------|------------|
 * | webhook                | platform.webhook.verified         | webhook:<token>                | timestamp  |
 * | subscribed             | messaging.follow                  | subscribed:<token>:<user>      | timestamp  |
 * | unsubscribed           | messaging.unfollow                | unsubscribed:<token>:<user>    | timestamp  |
 * | conversation_started   | messaging.conversation.created    | conversation_started:<token>:… | timestamp  |
 * | message                | messaging.message.received        | message:<token>                | timestamp  |
 * | delivered / seen       | messaging.message.delivered/.read | <event>:<token>:<user>         | timestamp  |
 * | failed                 | messaging.message.failed          | failed:<token>:<user>          | timestamp  |
 * | anything else          | unhandled, with the reason        |                                |            |
 */

type Message = z.output<typeof schemas.Message>;
type Attachment = z.output<typeof schemas.Attachment>;

/** Viber message types that are a file Viber hosts for an hour (`media`), as our message and attachment types. */
const MEDIA = new Map<string, Attachment["type"] & Message["type"]>([
  ["picture", "image"],
  ["video", "video"],
  ["file", "file"],
]);

/** Pure: no I/O, no clock, no randomness. One callback per body, mapped in isolation. */
export function normalizeViber(body: ViberWebhook, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder("viber", context);
  const token = (body as { message_token?: unknown }).message_token;
  const rawId = typeof token === "string" || typeof token === "number" ? String(token) : undefined;
  b.item(body, { kind: body.event.slice(0, 64), rawId, schema: ViberEvent }, (event) => mapEvent(b, event));
  return b.result();
}

function mapEvent(b: EnvelopeBuilder, event: ViberEvent): void {
  const token = String(event.message_token);
  const user = event.sender?.id ?? event.user?.id ?? event.user_id;
  const m = b.mapper({
    kind: event.event,
    raw: event,
    key: user === undefined ? `${event.event}:${token}` : `${event.event}:${token}:${user}`,
    timestamp: event.timestamp,
    metadata: { raw_platform_event_id: token, ...defined({ platform_user_id: user, platform_thread_id: user }) },
  });
  if (event.event === "webhook") {
    // the availability check Viber sends right after set_webhook: it names no user
    return void m.emit("platform.webhook.verified", { method: "verify_request" });
  }
  if (user === undefined) return m.unhandled(`viber "${event.event}" names no user`);
  const people = { contact_id: b.contactId(user), conversation_id: b.conversationId(user) };
  const profile = profileOf(event.sender ?? event.user);
  switch (event.event) {
    case "message":
      if (event.message === undefined) return m.unhandled('viber "message" without a message');
      return void m.emit(
        "messaging.message.received",
        { ...people, ...profile, message: messageOf(b, token, event.message) },
        { key: `message:${token}`, metadata: { platform_message_id: token } },
      );
    case "subscribed":
      return void m.emit("messaging.follow", { ...people, ...profile });
    case "unsubscribed":
      return void m.emit("messaging.unfollow", people);
    case "conversation_started":
      // opening the chat is not a subscription: the user can be greeted once, in the answer (Viber docs)
      return void m.emit("messaging.conversation.created", {
        ...people,
        ...profile,
        source: event.type ?? "open",
        ...(event.context === undefined ? {} : { referral: { source: "deep_link", ref: event.context } }),
      });
    case "delivered":
      return delivery(m, people, "messaging.message.delivered", b.messageId(token));
    case "seen":
      // sent once when the user reads their unread messages, whatever their number (Viber "message seen")
      return delivery(m, people, "messaging.message.read", b.messageId(token));
    case "failed":
      return void m.emit("messaging.message.failed", {
        ...people,
        message_ids: [b.messageId(token)],
        error: { code: "failed", message: event.desc ?? "viber reported the message failed" },
      });
    default:
      return m.unhandled();
  }
}

function delivery(
  m: ItemMapper,
  people: { contact_id: string; conversation_id: string },
  type: "messaging.message.delivered" | "messaging.message.read",
  id: string,
): void {
  m.emit(type, { ...people, message_ids: [id] });
}

/** Name and language only when Viber sent them (`send_name`; placeholders when the user disallowed it). */
function profileOf(user: ViberUser | undefined): { contact?: { name?: string; language?: string } } {
  const fields = defined({ name: user?.name, language: user?.language });
  return Object.keys(fields).length === 0 ? {} : { contact: fields };
}

function messageOf(b: EnvelopeBuilder, token: string, raw: ViberMessage): Message {
  const base = { id: b.messageId(token), direction: "inbound" as const };
  const media = MEDIA.get(raw.type);
  if (media !== undefined) {
    const attachment: Attachment = {
      type: media,
      ...defined({
        url: raw.media,
        file_name: raw.file_name,
        size: raw.file_size ?? raw.size,
        duration: raw.duration,
      }),
    };
    return { ...base, type: media, ...defined({ text: raw.text }), attachments: [attachment] };
  }
  switch (raw.type) {
    case "text":
      return { ...base, type: "text", ...defined({ text: raw.text }) };
    case "sticker":
      return {
        ...base,
        type: "sticker",
        attachments: [
          {
            type: "sticker",
            ...defined({ media_id: raw.sticker_id === undefined ? undefined : String(raw.sticker_id), url: raw.media }),
          },
        ],
      };
    case "url":
      return {
        ...base,
        type: "share",
        ...defined({ text: raw.text }),
        attachments: [{ type: "link", ...defined({ url: raw.media }) }],
      };
    case "location":
      if (raw.location === undefined) break;
      return { ...base, type: "location", location: { latitude: raw.location.lat, longitude: raw.location.lon } };
    case "contact":
      if (raw.contact === undefined) break;
      return {
        ...base,
        type: "contact",
        contacts: [
          defined({
            name: raw.contact.name,
            phones: raw.contact.phone_number === undefined ? undefined : [raw.contact.phone_number],
          }),
        ],
      };
  }
  return {
    ...base,
    type: "unsupported",
    unsupported_reason: `viber "${raw.type.slice(0, 64)}" message has no Message representation`,
  };
}
