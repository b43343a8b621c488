import type { UnifiedEvent } from "../core";

/**
 * One conversation in order across consumer processes: the JetStream sink puts a partition token derived from the
 * conversation into the subject, and the ordered consumer gives each partition one durable consumer that lets one
 * message at a time be unacknowledged (`max_ack_pending: 1`), whoever pulls it. The hash is the one nats-server's own
 * `{{partition(n, …)}}` mapping uses (FNV-1a 32 bit, modulo n), so a server-side mapping over the same key would
 * agree with it. https://docs.nats.io/nats-concepts/subject_mapping#deterministic-subject-token-partitioning
 */

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * What keeps events in order: the conversation, else the contact (a follow, a comment), else nothing (the event's
 * own id: it is ordered with nothing, spread over the partitions).
 */
export function orderKeyOf(event: UnifiedEvent): string {
  const data = event.data as { conversation_id?: unknown; contact_id?: unknown } | undefined;
  if (typeof data?.conversation_id === "string" && data.conversation_id !== "") return data.conversation_id;
  if (typeof data?.contact_id === "string" && data.contact_id !== "") return data.contact_id;
  return event.id;
}

/** The partition (0 … count-1) of an order key. */
export function partitionOf(key: string, count: number): number {
  return fnv1a32(key) % count;
}

/** The subject token of a partition: `p` and the number, zero-padded to the width of the largest (`p07` of 16). */
export function partitionToken(partition: number, count: number): string {
  return `p${String(partition).padStart(Math.max(2, String(count - 1).length), "0")}`;
}

/** The most partitions a sink or consumer takes: each is one durable consumer per consumer name. */
export const MAX_PARTITIONS = 1024;
