import { EnvelopeBuilder, type NormalizeContext, type NormalizeResult } from "../../core";
import { ViberItem, type ViberWebhook } from "./schema";

/*
 * Mapping table: fill it in as you write the cases below, and keep docs/adapters/viber.md in step.
 *
 * | viber kind | event type                  | dedupe key         | time          |
 * |-----------|-----------------------------|--------------------|---------------|
 * | TODO         | messaging.message.received  | the message's id   | item.timestamp |
 * | (the rest)   | unhandled, with the reason  |                    |               |
 */

const PLATFORM = "viber";

/** Pure: no I/O, no clock, no randomness. Time and ids come from the context and the payload. */
export function normalizeViber(body: ViberWebhook, context: NormalizeContext): NormalizeResult {
  const b = new EnvelopeBuilder(PLATFORM, context);
  for (const raw of body.events) {
    // each item in isolation: a malformed one is reported unhandled, its neighbours go through
    b.item(raw, { kind: kindOf(raw), rawId: idOf(raw), schema: ViberItem }, (item) => {
      const m = b.mapper({ kind: item.type, raw: item, key: item.id, timestamp: item.timestamp, metadata: { raw_platform_event_id: item.id } });
      switch (item.type) {
        // TODO: one case per kind, e.g.
        // case "message":
        //   return void m.emit("messaging.message.received", { contact_id: b.contactId(user), conversation_id: b.conversationId(user), message });
        default:
          return m.unhandled();
      }
    });
  }
  return b.result();
}

/** The item's kind before parsing, for the unhandled record of an item that does not parse. */
function kindOf(raw: unknown): string {
  const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof type === "string" ? type.slice(0, 64) : "event";
}

function idOf(raw: unknown): string | undefined {
  const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id.slice(0, 128) : undefined;
}
