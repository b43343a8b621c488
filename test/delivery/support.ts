import { contactId, conversationId, createEvent, type UnhandledEvent, type UnifiedEvent } from "../../src/core";
import type { DeliveryLogFields, DeliveryLogger, Sink, SinkBatch } from "../../src/delivery";

const block = { workspace_id: "ws_1", block_id: "blk_1", platform: "telegram" } as const;

/** A follow event per key: distinct ids, the same id for the same key (as on a redelivery). */
export function follow(key: string): UnifiedEvent {
  const user = `user-${key}`;
  return createEvent("messaging.follow", {
    ...block,
    key,
    timestamp: 1751368800,
    data: { contact_id: contactId("blk_1", user), conversation_id: conversationId("blk_1", user) },
  }) as UnifiedEvent;
}

export function batchOf(...keys: string[]): { events: UnifiedEvent[]; unhandled: UnhandledEvent[] } {
  return { events: keys.map(follow), unhandled: [] };
}

export function poll(id: string): UnhandledEvent {
  return {
    ...block,
    kind: "poll",
    reason: "no mapping",
    raw_platform_event_id: id,
    received_at: "2026-11-22T12:00:00.000Z",
    raw: { poll: { id } },
  };
}

export const info = { platform: "telegram", block_ids: ["blk_1"] } as const;

/** A sink that keeps what it accepted, in order. */
export function recordingSink(name = "record"): Sink & { readonly ids: string[]; readonly unhandledKinds: string[] } {
  const ids: string[] = [];
  const unhandledKinds: string[] = [];
  return {
    name,
    ids,
    unhandledKinds,
    async write(batch: SinkBatch) {
      ids.push(...batch.events.map((event) => event.id));
      unhandledKinds.push(...batch.unhandled.map((item) => `${item.kind}:${item.raw_platform_event_id ?? ""}`));
    },
    async close() {},
  };
}

export interface CapturedLine {
  readonly level: string;
  readonly message: string;
  readonly fields: DeliveryLogFields;
}

export function captureLogger(): DeliveryLogger & { readonly lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const log =
    (level: string) =>
    (message: string, fields: DeliveryLogFields = {}) =>
      void lines.push({ level, message, fields });
  return { lines, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A promise with its resolver outside, to hold a handler until the test lets it go. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Counts calls per key. */
export function counter(): { readonly counts: Map<string, number>; bump(key: string): number } {
  const counts = new Map<string, number>();
  return {
    counts,
    bump(key) {
      const next = (counts.get(key) ?? 0) + 1;
      counts.set(key, next);
      return next;
    },
  };
}
