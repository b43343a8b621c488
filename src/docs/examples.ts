import { contactId, conversationId, createEvent, type EventData, type EventType, type UnifiedEvent } from "../core";

/*
 * Example envelopes for the types only the application emits (no webhook produces them, so no fixture golden
 * shows them). Built with `createEvent`, deterministic: fixed keys and times, the contact and conversation of the
 * Telegram fixture message-text-private. Used by docs/events.md and the AsyncAPI examples; every other type's
 * example is a fixture golden envelope.
 */

const BLOCK = "blk_telegram_test";
const CHAT = "123456789";
const contact_id = contactId(BLOCK, CHAT);
const conversation_id = conversationId(BLOCK, CHAT);
const around = { contact_id, conversation_id };
const workflow = { workflow_id: "wf_order_followup", execution_id: "exe_01", ...around };
const cartItem = { product_id: "sku-blue-jacket-m", quantity: 1, unit_price: 59.9, currency: "EUR", name: "Blue jacket (M)" };

const data: { [T in EventType]?: EventData<T> } = {
  "messaging.conversation.closed": { ...around, closed_by: "agent@company.com" },
  "messaging.conversation.updated": { ...around, changes: { assigned_to: "agent@company.com" } },
  "messaging.handoff.requested": { ...around, reason: "Customer requested to speak with a human" },
  "commerce.order.updated": { ...around, order: { id: "ord_1042", status: "paid" } },
  "commerce.order.fulfilled": { ...around, order: { id: "ord_1042", status: "shipped" } },
  "commerce.order.cancelled": { ...around, order: { id: "ord_1042", status: "cancelled" } },
  "commerce.cart.abandoned": { ...around, cart: { id: "cart_77", currency: "EUR", total: 59.9, items: [cartItem] } },
  "crm.contact.created": { contact_id, contact: { name: "Alice", email: "alice@example.com" } },
  "crm.contact.updated": { contact_id, changes: { email: "alice@example.com" } },
  "crm.contact.merged": { contact_id, merged_contact_ids: [contactId("blk_whatsapp_test", "4915112345678")] },
  "crm.deal.created": { contact_id, deal: { id: "deal_9", title: "Jackets for the team", stage: "qualified", value: 1200, currency: "EUR" } },
  "crm.deal.stage_changed": { deal_id: "deal_9", from_stage: "qualified", to_stage: "proposal", contact_id },
  "automation.workflow.started": workflow,
  "automation.workflow.completed": workflow,
  "automation.workflow.failed": { ...workflow, error: { code: "http_timeout", message: "the shop API did not answer in 10 s" } },
  "automation.workflow.paused": { ...workflow, waiting_for: "reply" },
  "automation.draft.created": { ...around, draft_text: "Thank you for your message! Our team will respond shortly." },
  "platform.block.connected": { reason: "connected from the dashboard" },
  "platform.block.disconnected": { reason: "access token revoked" },
  "ptm.notification.sent": { ...around, notification: { id: "ntf_5", template: "order_shipped" } },
  "ptm.notification.delivered": { ...around, notification: { id: "ntf_5", template: "order_shipped" } },
  "ptm.notification.clicked": { ...around, notification: { id: "ntf_5", template: "order_shipped", url: "https://shop.example.com/o/1042" } },
};

/** The application example of a type, when there is one (see above). */
export function applicationExample(type: EventType): UnifiedEvent | undefined {
  const example = data[type];
  if (example === undefined) return undefined;
  return createEvent(type, {
    workspace_id: "ws_test",
    block_id: BLOCK,
    platform: "telegram",
    key: `example:${type}`,
    timestamp: "2025-07-01T11:25:00.000Z",
    data: example as never,
    metadata: { platform_thread_id: CHAT },
  }) as UnifiedEvent;
}

/** The types with an application example. */
export const APPLICATION_EXAMPLE_TYPES = Object.keys(data) as EventType[];
