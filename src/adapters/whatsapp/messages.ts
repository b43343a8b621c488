import { platformTime } from "../../core/adapter-kit";
import { defined, withFields } from "../../core/objects";
import { CONTENT_TYPES, content, referralOf } from "./content";
import type { WaMessage } from "./schema";
import { dataWithMessage, nonEmpty, type Scope, type WaItem } from "./scope";

/*
 * `messages[]` (inbound) and `message_echoes[]` (Coexistence: the business wrote from the WhatsApp Business app).
 * Types and shapes: https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
 * and …/webhooks/reference/smb_message_echoes; the dedupe key is the wamid.
 */

export function mapInbound(scope: Scope, message: WaMessage): void {
  if (message.type === "system") return mapSystem(scope, message);
  const kind = `messages.${message.type}`;
  const person = scope.person({ userId: message.from_user_id, waId: message.from }, message.group_id);
  if (person === undefined) {
    scope.report(
      kind,
      message,
      message.id,
      "whatsapp message names no sender (no from, from_user_id or matching contact)",
    );
    return;
  }
  const item = scope.item(
    { kind, value: message, key: message.id, rawId: message.id, messageId: message.id, timestamp: message.timestamp },
    person,
  );
  const { m } = item;
  const data = person.data;

  switch (message.type) {
    case "interactive":
    case "button":
      return mapReply(scope, item, message);
    case "reaction": {
      const reaction = message.reaction;
      if (!reaction) break;
      const target = { message_id: scope.b.messageId(reaction.message_id) };
      const metadata = { platform_message_id: reaction.message_id };
      // "When an end user removes a reaction emoji, WhatsApp sends a webhook without the emoji field" (or "")
      if (reaction.emoji) {
        m.emit(
          "messaging.reaction.added",
          withFields(data, { reaction: withFields(target, { emoji: reaction.emoji }) }),
          { metadata },
        );
      } else {
        m.emit("messaging.reaction.removed", withFields(data, { reaction: target }), { metadata });
      }
      return;
    }
    case "order": {
      const order = message.order;
      if (!order) break;
      const items = (order.product_items ?? []).map((line) => ({
        product_id: line.product_retailer_id,
        quantity: line.quantity,
        ...defined({ unit_price: line.item_price, currency: nonEmpty(line.currency) }),
      }));
      const currencies = new Set(items.map((line) => line.currency));
      const [currency] = currencies;
      m.emit("commerce.order.created", {
        contact_id: data.contact_id,
        conversation_id: data.conversation_id,
        order: {
          ...(currencies.size === 1 && currency ? { currency } : {}),
          ...defined({ note: nonEmpty(order.text) }),
          items,
        },
      });
      // the order is also a bubble in the chat: keep it in the conversation as a message of type `order`
      m.emit("messaging.message.received", dataWithMessage(data, content(scope.b, message, message.id, "inbound")));
      return;
    }
    case "request_welcome":
      // the user opened the chat for the first time (welcome-message flow)
      m.emit(
        "messaging.conversation.created",
        withFields(data, { source: "welcome", ...defined({ referral: referralOf(message) }) }),
      );
      return;
    case "edit":
    case "revoke":
      if (mapChange(scope, item, message, "inbound")) return;
      break;
    default:
      if (!CONTENT_TYPES.has(message.type)) {
        m.unhandled();
        return;
      }
  }
  // a content type, or a known type whose object is missing: both are a message (unsupported when empty)
  m.emit("messaging.message.received", dataWithMessage(data, content(scope.b, message, message.id, "inbound")));
}

/** `smb_message_echoes`: what the business sent from the WhatsApp Business app, addressed by `to`/`to_user_id`. */
export function mapEcho(scope: Scope, message: WaMessage): void {
  const kind = `smb_message_echoes.${message.type}`;
  const person = scope.person({ userId: message.to_user_id, waId: message.to }, message.group_id);
  const edits = message.type === "edit" || message.type === "revoke";
  if (person === undefined || !(edits || CONTENT_TYPES.has(message.type))) {
    scope.report(kind, message, message.id);
    return;
  }
  const item = scope.item(
    {
      kind,
      value: message,
      key: `echo:${message.id}`,
      rawId: message.id,
      messageId: message.id,
      timestamp: message.timestamp,
    },
    person,
  );
  // the business edited or deleted, in the WhatsApp Business app, a message it had sent: outbound like the message
  if (edits) {
    if (!mapChange(scope, item, message, "outbound"))
      item.m.unhandled(`whatsapp "${message.type}" echo without its "${message.type}" object`);
    return;
  }
  item.m.emit(
    "messaging.message.sent",
    dataWithMessage(person.data, content(scope.b, message, message.id, "outbound")),
  );
}

/**
 * An `edit` (new content of `original_message_id`) or a `revoke` (deletion of it). The event is about the
 * original message, so `platform_message_id` names it. False when the type's object is missing.
 */
function mapChange(
  scope: Scope,
  { m, person }: WaItem,
  message: WaMessage,
  direction: "inbound" | "outbound",
): boolean {
  const time = m.base.timestamp;
  if (message.type === "edit" && message.edit) {
    const edit = message.edit;
    const edited = edit.message ?? { type: "unsupported" };
    m.emit(
      "messaging.message.updated",
      withFields(person.data, {
        message: withFields(
          content(scope.b, edited, edit.original_message_id, direction),
          defined({ edited_at: time === undefined ? undefined : platformTime(time) }),
        ),
      }),
      { metadata: { platform_message_id: edit.original_message_id } },
    );
    return true;
  }
  if (message.type === "revoke" && message.revoke) {
    const original = message.revoke.original_message_id;
    m.emit("messaging.message.deleted", withFields(person.data, { message_id: scope.b.messageId(original) }), {
      metadata: { platform_message_id: original },
    });
    return true;
  }
  return false;
}

/**
 * Interactive replies (`button_reply`, `list_reply`, Flows `nfm_reply`) and template quick-reply `button`s are
 * postbacks. The tap also shows in the chat as a bubble with the button's text, so when it carries text the
 * same wamid yields a `messaging.message.received` of type `interactive` as well.
 */
function mapReply(scope: Scope, { m, person }: WaItem, message: WaMessage): void {
  const reply = replyOf(message);
  if (reply === "missing") {
    // re-sent interactive messages arrive without `interactive` and with value.errors 131000
    m.emit(
      "messaging.message.received",
      dataWithMessage(person.data, content(scope.b, message, message.id, "inbound")),
    );
    return;
  }
  if (reply === undefined) {
    m.unhandled(undefined, `interactive.${message.interactive?.type ?? "unknown"}`);
    return;
  }
  const repliedTo = message.context?.id;
  m.emit(
    "messaging.postback",
    withFields(person.data, {
      postback: {
        payload: reply.payload,
        ...defined({ title: nonEmpty(reply.title) }),
        ...(repliedTo ? { message_id: scope.b.messageId(repliedTo) } : {}),
      },
    }),
  );
  if (!reply.text) return;
  m.emit(
    "messaging.message.received",
    dataWithMessage(person.data, withFields(content(scope.b, message, message.id, "inbound"), { text: reply.text })),
  );
}

function replyOf(
  message: WaMessage,
): { payload: string; title?: string | undefined; text?: string | undefined } | "missing" | undefined {
  if (message.type === "button") {
    const button = message.button;
    if (!button) return "missing";
    return { payload: button.payload ?? button.text ?? "", title: button.text, text: button.text };
  }
  const interactive = message.interactive;
  if (!interactive) return "missing";
  const choice =
    interactive.type === "button_reply"
      ? interactive.button_reply
      : interactive.type === "list_reply"
        ? interactive.list_reply
        : undefined;
  if (choice) return { payload: choice.id, title: choice.title, text: choice.title };
  // Flows: the answers are the `response_json` string (it holds the flow_token); `body` is the bubble text
  if (interactive.type === "nfm_reply" && interactive.nfm_reply)
    return { payload: interactive.nfm_reply.response_json, text: interactive.nfm_reply.body };
  return undefined;
}

/** `system` messages carry no `contacts` (WhatsApp system reference); they re-key the person. */
function mapSystem(scope: Scope, message: WaMessage): void {
  const system = message.system;
  const kind = `system.${system?.type ?? "unknown"}`;
  const base = {
    kind,
    value: message,
    key: message.id,
    rawId: message.id,
    messageId: message.id,
    timestamp: message.timestamp,
  };
  if (system?.type === "user_changed_number" && system.wa_id) {
    const person = scope.person({ userId: message.from_user_id, waId: message.from });
    if (person !== undefined) {
      // a contact keyed on its number is re-keyed by the new number; one keyed on its BSUID only gains a phone
      scope.item(base, person).m.emit("crm.contact.updated", {
        contact_id: person.data.contact_id,
        conversation_id: person.data.conversation_id,
        changes: { phone: system.wa_id, ...(person.byUserId ? {} : { platform_user_id: system.wa_id }) },
      });
      return;
    }
  }
  const newUserId = system?.user_id ?? message.from_user_id;
  if (system?.type === "user_changed_user_id" && system.previous_user_id && newUserId) {
    // the business-scoped user id changed: the contact known by the previous one gets the new id
    const previous = scope.person({ userId: system.previous_user_id });
    if (previous !== undefined) {
      scope.item(base, previous).m.emit("crm.contact.updated", {
        contact_id: previous.data.contact_id,
        conversation_id: previous.data.conversation_id,
        changes: { platform_user_id: newUserId },
      });
      return;
    }
  }
  scope.report(
    kind,
    message,
    message.id,
    `whatsapp system message "${system?.type ?? "unknown"}" has no catalogue type (no contact field it changes)`,
  );
}
