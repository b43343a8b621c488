import { z } from "zod";
import { PlatformName, schemas, type EventType, type UnifiedEvent } from "../core";
import { deliveryId } from "./delivery-id";

/*
 * The thread-style webhook format: `{event, delivery_id, data}` with `thread_id` = "<platform>:<platform thread
 * id>". Every field name of that format is kept; fields beyond it (`timestamp` on edits, `closed_by`, `source`…)
 * are additions, which the format allows. docs/formats.md shows an example of each type.
 */

/** Each thread-style event name and the envelope type it is projected from. */
export const THREAD_EVENTS = {
  "message.received": "messaging.message.received",
  "message.updated": "messaging.message.updated",
  "message.deleted": "messaging.message.deleted",
  "conversation.started": "messaging.conversation.created",
  "conversation.updated": "messaging.conversation.updated",
  "conversation.closed": "messaging.conversation.closed",
  "handoff.requested": "messaging.handoff.requested",
  "draft.created": "automation.draft.created",
  "contact.updated": "crm.contact.updated",
} as const satisfies Record<string, EventType>;

export type ThreadEventName = keyof typeof THREAD_EVENTS;
export const THREAD_EVENT_NAMES = Object.keys(THREAD_EVENTS) as ThreadEventName[];

const ThreadId = z.string().regex(/^[a-z][a-z0-9_-]*:.+$/, 'expected "<platform>:<platform thread id>"');
const inThread = { thread_id: ThreadId, channel: PlatformName };

export const threadDataSchemas = {
  "message.received": z.strictObject({
    ...inThread,
    message_id: schemas.MessageId,
    text: z.string().optional(),
    from: z.strictObject({ id: z.string().min(1), name: z.string().optional() }),
    timestamp: schemas.IsoTimestamp,
    /** addition: `text`, `image`, `location`… (docs/events.md, message types) */
    message_type: schemas.Message.shape.type,
    attachments: z.array(schemas.Attachment).optional(),
  }),
  "message.updated": z.strictObject({
    ...inThread,
    message_id: schemas.MessageId,
    new_text: z.string().optional(),
    timestamp: schemas.IsoTimestamp,
  }),
  "message.deleted": z.strictObject({ ...inThread, message_id: schemas.MessageId, timestamp: schemas.IsoTimestamp }),
  "conversation.started": z.strictObject({
    ...inThread,
    contact_name: z.string().optional(),
    created_at: schemas.IsoTimestamp,
    source: z.string().optional(),
  }),
  "conversation.updated": z.strictObject({ ...inThread, changes: z.record(z.string(), schemas.Scalar) }),
  "conversation.closed": z.strictObject({
    ...inThread,
    closed_at: schemas.IsoTimestamp,
    closed_by: z.string().optional(),
  }),
  "handoff.requested": z.strictObject({
    ...inThread,
    reason: z.string().optional(),
    requested_by: z.string().optional(),
  }),
  "draft.created": z.strictObject({ ...inThread, draft_text: z.string(), created_at: schemas.IsoTimestamp }),
  "contact.updated": z.strictObject({
    contact_id: schemas.ContactId,
    channel: PlatformName,
    changes: z.record(z.string(), z.string()),
  }),
} as const satisfies Record<ThreadEventName, z.ZodObject>;

function buildThreadSchema<N extends ThreadEventName>(name: N) {
  return z
    .strictObject({ event: z.literal(name), delivery_id: z.string().min(1), data: threadDataSchemas[name] })
    .meta({
      title: `thread.${name}`,
      description: `Thread-style \`${name}\`, projected from \`${THREAD_EVENTS[name]}\`.`,
    });
}

/** One strict schema per thread-style event. */
export const threadSchemas = Object.fromEntries(THREAD_EVENT_NAMES.map((name) => [name, buildThreadSchema(name)])) as {
  [N in ThreadEventName]: ReturnType<typeof buildThreadSchema<N>>;
};

export type ThreadEventOf<N extends ThreadEventName> = z.output<(typeof threadSchemas)[N]>;
export type ThreadEvent = { [N in ThreadEventName]: ThreadEventOf<N> }[ThreadEventName];

export const ThreadEventSchema = z.discriminatedUnion(
  "event",
  THREAD_EVENT_NAMES.map((name) => threadSchemas[name]) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<ThreadEvent>;

/** The thread-style name of an envelope type, when it has one. */
export function threadEventNameOf(type: EventType): ThreadEventName | undefined {
  return THREAD_EVENT_NAMES.find((name) => THREAD_EVENTS[name] === type);
}

const defined = <T extends Record<string, unknown>>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;

/**
 * Projects one envelope to the thread-style format for one subscriber (docs/formats.md). Returns `undefined` when the
 * envelope has no counterpart: a type outside the nine, or a conversation event whose envelope names no platform
 * thread (so no `thread_id` can be formed). The caller counts those; they are never sent.
 */
export function toThreadEvent(event: UnifiedEvent, subscriber: string): ThreadEvent | undefined {
  const delivery_id = deliveryId(event.id, subscriber);
  const channel = event.platform;
  const threadKey = event.metadata.platform_thread_id;
  const thread_id = threadKey === undefined || threadKey === "" ? undefined : `${channel}:${threadKey}`;
  if (event.type === "crm.contact.updated") {
    const changes = defined(event.data.changes) as Record<string, string>;
    return { event: "contact.updated", delivery_id, data: { contact_id: event.data.contact_id, channel, changes } };
  }
  if (thread_id === undefined) return undefined;
  const at = event.timestamp;
  switch (event.type) {
    case "messaging.message.received": {
      const { message } = event.data;
      const from = defined({
        id: event.metadata.platform_user_id ?? event.data.contact_id,
        name: event.data.contact?.name,
      });
      return {
        event: "message.received",
        delivery_id,
        data: defined({
          thread_id,
          message_id: message.id,
          channel,
          text: message.text,
          from,
          timestamp: at,
          message_type: message.type,
          attachments: message.attachments,
        }),
      };
    }
    case "messaging.message.updated":
      return {
        event: "message.updated",
        delivery_id,
        data: defined({
          thread_id,
          message_id: event.data.message.id,
          channel,
          new_text: event.data.message.text,
          timestamp: at,
        }),
      };
    case "messaging.message.deleted":
      return {
        event: "message.deleted",
        delivery_id,
        data: { thread_id, message_id: event.data.message_id, channel, timestamp: at },
      };
    case "messaging.conversation.created":
      return {
        event: "conversation.started",
        delivery_id,
        data: defined({
          thread_id,
          channel,
          contact_name: event.data.contact?.name,
          created_at: at,
          source: event.data.source,
        }),
      };
    case "messaging.conversation.updated":
      return { event: "conversation.updated", delivery_id, data: { thread_id, channel, changes: event.data.changes } };
    case "messaging.conversation.closed":
      return {
        event: "conversation.closed",
        delivery_id,
        data: defined({ thread_id, channel, closed_at: at, closed_by: event.data.closed_by }),
      };
    case "messaging.handoff.requested":
      return {
        event: "handoff.requested",
        delivery_id,
        data: defined({ thread_id, channel, reason: event.data.reason, requested_by: event.data.requested_by }),
      };
    case "automation.draft.created":
      return {
        event: "draft.created",
        delivery_id,
        data: { thread_id, channel, draft_text: event.data.draft_text, created_at: at },
      };
    default:
      return undefined;
  }
}
