import { z } from "zod";
import {
  Cart,
  ContactId,
  ContactProfile,
  ConversationId,
  ErrorInfo,
  IsoTimestamp,
  Message,
  MessageId,
  Order,
  OrderRef,
  Referral,
  Scalar,
} from "./schemas";

/*
 * The event catalogue: the one declaration every other view derives from (the runtime list of types, the
 * envelope schemas, the TypeScript types, JSON Schema, `convotic types` and docs/events.md). Types come from
 * core envelope contract; `extension: true` marks those added for the thread-style format and real platform traffic.
 */

interface EventDefinition {
  readonly description: string;
  readonly data: z.ZodObject;
  readonly extension?: true;
}

const define = <D extends z.ZodObject>(description: string, data: D, options: { extension?: true } = {}) =>
  ({ description, data, ...options }) as { description: string; data: D; extension?: true };

/** Every messaging event names the contact and the conversation, both derived ids. */
const messaging = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject({
    contact_id: ContactId,
    conversation_id: ConversationId,
    contact: ContactProfile.optional(),
    ...shape,
  });

/** Events raised by the application around a contact or conversation may name them. */
const around = { contact_id: ContactId.optional(), conversation_id: ConversationId.optional() };

const messageIds = z.array(MessageId);
const workflow = { workflow_id: z.string().min(1), execution_id: z.string().min(1), ...around };
const notification = z.strictObject({
  id: z.string().min(1),
  template: z.string().optional(),
  url: z.string().optional(),
});

export const catalogue = {
  // messaging
  "messaging.message.received": define(
    "An inbound message was received from a contact.",
    messaging({ message: Message }),
  ),
  "messaging.message.sent": define("An outbound message was sent to a contact.", messaging({ message: Message })),
  "messaging.message.delivered": define(
    "A sent message was delivered to the contact's device.",
    messaging({ message_ids: messageIds, watermark: IsoTimestamp.optional() }),
  ),
  "messaging.message.read": define(
    "A sent message was read by the contact.",
    messaging({ message_ids: messageIds, watermark: IsoTimestamp.optional() }),
  ),
  "messaging.message.failed": define(
    "A message failed to send.",
    messaging({ message_ids: messageIds, error: ErrorInfo }),
  ),
  "messaging.conversation.created": define(
    "A new conversation was started.",
    messaging({ source: z.string().optional(), referral: Referral.optional() }),
  ),
  "messaging.conversation.closed": define(
    "A conversation was closed by an agent.",
    messaging({ closed_by: z.string().optional() }),
  ),
  "messaging.comment.created": define(
    "A comment was posted on a social media post.",
    z.strictObject({
      contact_id: ContactId,
      contact: ContactProfile.optional(),
      comment: z.strictObject({
        id: z.string().min(1),
        text: z.string(),
        post_id: z.string().min(1),
        parent_id: z.string().optional(),
      }),
    }),
  ),
  "messaging.story_reply.received": define(
    "A story reply was received (Instagram).",
    messaging({ message: Message, story: z.strictObject({ id: z.string().optional(), url: z.string().optional() }) }),
  ),
  "messaging.reaction.added": define(
    "A reaction was added to a message.",
    messaging({
      reaction: z.strictObject({ message_id: MessageId, emoji: z.string().optional(), name: z.string().optional() }),
    }),
  ),
  "messaging.reaction.removed": define(
    "A reaction was removed from a message.",
    messaging({
      reaction: z.strictObject({ message_id: MessageId, emoji: z.string().optional(), name: z.string().optional() }),
    }),
  ),
  "messaging.follow": define("A user followed / added the account.", messaging({ unblocked: z.boolean().optional() })),
  "messaging.unfollow": define("A user unfollowed / removed the account.", messaging({})),
  "messaging.postback": define(
    "A user tapped a postback button.",
    messaging({
      postback: z.strictObject({
        payload: z.string(),
        title: z.string().optional(),
        message_id: MessageId.optional(),
        params: z.record(z.string(), z.string()).optional(),
      }),
    }),
  ),

  // commerce
  "commerce.order.created": define("A new order was placed.", z.strictObject({ ...around, order: Order })),
  "commerce.order.updated": define("An order status was updated.", z.strictObject({ ...around, order: OrderRef })),
  "commerce.order.fulfilled": define(
    "An order was fulfilled / shipped.",
    z.strictObject({ ...around, order: OrderRef }),
  ),
  "commerce.order.cancelled": define("An order was cancelled.", z.strictObject({ ...around, order: OrderRef })),
  "commerce.cart.abandoned": define(
    "A cart was abandoned (no purchase within threshold).",
    z.strictObject({ ...around, cart: Cart }),
  ),

  // crm
  "crm.contact.created": define(
    "A new contact was created.",
    z.strictObject({ contact_id: ContactId, contact: ContactProfile.extend({ email: z.string().optional() }) }),
  ),
  "crm.contact.updated": define(
    "A contact record was updated.",
    z.strictObject({
      contact_id: ContactId,
      conversation_id: ConversationId.optional(),
      changes: z.strictObject({
        name: z.string().optional(),
        email: z.string().optional(),
        phone: z.string().optional(),
        username: z.string().optional(),
        /** the contact's new platform id, when the platform re-keys the person (WhatsApp number change) */
        platform_user_id: z.string().optional(),
      }),
    }),
  ),
  "crm.contact.merged": define(
    "Two contact records were merged.",
    z.strictObject({ contact_id: ContactId, merged_contact_ids: z.array(ContactId).min(1) }),
  ),
  "crm.deal.created": define(
    "A new deal was created.",
    z.strictObject({
      contact_id: ContactId.optional(),
      deal: z.strictObject({
        id: z.string().min(1),
        title: z.string().optional(),
        stage: z.string().optional(),
        value: z.number().optional(),
        currency: z.string().optional(),
      }),
    }),
  ),
  "crm.deal.stage_changed": define(
    "A deal moved to a different pipeline stage.",
    z.strictObject({
      deal_id: z.string().min(1),
      from_stage: z.string(),
      to_stage: z.string(),
      contact_id: ContactId.optional(),
    }),
  ),

  // automation
  "automation.workflow.started": define("A Workflow execution started.", z.strictObject(workflow)),
  "automation.workflow.completed": define("A Workflow execution completed.", z.strictObject(workflow)),
  "automation.workflow.failed": define(
    "A Workflow execution failed.",
    z.strictObject({ ...workflow, error: ErrorInfo.optional() }),
  ),
  "automation.workflow.paused": define(
    "A Workflow execution is waiting (e.g., Wait for Reply).",
    z.strictObject({ ...workflow, waiting_for: z.string().optional() }),
  ),

  // platform
  "platform.block.connected": define(
    "A Block was connected to the workspace.",
    z.strictObject({ reason: z.string().optional() }),
  ),
  "platform.block.disconnected": define("A Block was disconnected.", z.strictObject({ reason: z.string().optional() })),
  "platform.block.error": define(
    "A Block encountered an error (e.g., expired token).",
    z.strictObject({ ...around, error: ErrorInfo }),
  ),
  "platform.webhook.verified": define(
    "A webhook endpoint was verified by a platform.",
    z.strictObject({
      /** `challenge`: a GET handshake was answered (Meta); `verify_request`: an empty test delivery (LINE) */
      method: z.enum(["challenge", "verify_request"]),
    }),
  ),

  // ptm
  "ptm.notification.sent": define(
    "A post-transaction notification was sent.",
    z.strictObject({ ...around, notification }),
  ),
  "ptm.notification.delivered": define(
    "A post-transaction notification was delivered.",
    z.strictObject({ ...around, notification }),
  ),
  "ptm.notification.clicked": define(
    "A post-transaction notification link was clicked.",
    z.strictObject({ ...around, notification }),
  ),

  // extensions, needed by the thread-style output format and by real platform traffic (docs/events.md)
  "messaging.message.updated": define(
    "A message was edited; `message` holds the new content.",
    messaging({ message: Message }),
    {
      extension: true,
    },
  ),
  "messaging.message.deleted": define("A message was deleted or unsent.", messaging({ message_id: MessageId }), {
    extension: true,
  }),
  "messaging.conversation.updated": define(
    "Conversation metadata changed (thread owner, assignment, folder, title…).",
    messaging({ changes: z.record(z.string(), Scalar) }),
    { extension: true },
  ),
  "messaging.handoff.requested": define(
    "A human (or another app) was asked to take over the conversation.",
    messaging({ reason: z.string().optional(), requested_by: z.string().optional() }),
    { extension: true },
  ),
  "messaging.member.joined": define(
    "A person joined a group conversation the account is in (LINE memberJoined, Telegram chat_member and new_chat_members).",
    messaging({ added_by: ContactId.optional() }),
    { extension: true },
  ),
  "messaging.member.left": define(
    "A person left, or was removed from, a group conversation the account is in (LINE memberLeft, Telegram chat_member and left_chat_member).",
    messaging({ removed_by: ContactId.optional() }),
    { extension: true },
  ),
  "automation.draft.created": define(
    "An AI reply draft is awaiting approval.",
    z.strictObject({ conversation_id: ConversationId, contact_id: ContactId.optional(), draft_text: z.string() }),
    { extension: true },
  ),
} as const satisfies Record<string, EventDefinition>;

export type Catalogue = typeof catalogue;
export type EventType = keyof Catalogue & string;
export type EventData<T extends EventType> = z.output<Catalogue[T]["data"]>;
export type Domain = EventType extends `${infer D}.${string}` ? D : never;

/** The runtime list of every event type, in catalogue order. */
export const EVENT_TYPES = Object.keys(catalogue) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(catalogue, value);
}

export function domainOf(type: EventType): Domain {
  return type.slice(0, type.indexOf(".")) as Domain;
}
