import type { RequestOutcome } from "../http";

/** One request as the inspector keeps it. */
export interface Entry {
  /** 1, 2, 3… in arrival order; never reused while the process runs */
  readonly id: number;
  readonly outcome: RequestOutcome;
  /** the bytes this entry is charged against the buffer's cap */
  readonly bytes: number;
  /** the entry this one repeats (a redelivery), when that one is still held */
  readonly duplicateOf?: number;
  /** the entry this one replays (the inspector's replay action) */
  readonly replayOf?: number;
}

/** What the list shows of an entry: small, sent on every update. */
export interface Summary {
  /** 1, 2, 3… in arrival order */
  readonly id: number;
  /** when it arrived, ISO 8601 */
  readonly time: string;
  readonly method: string;
  /** the path as logged, without the query string */
  readonly route: string;
  readonly platform: string | null;
  readonly blocks: readonly string[];
  readonly status: number;
  readonly duration_ms: number;
  /** the error code of a failure, or what a 2xx did (`delivered`, `duplicate`, `handshake`…; docs/inspector.md) */
  readonly verdict: string;
  /** null when the request was not normalised before its answer */
  readonly events: number | null;
  readonly unhandled: number | null;
  /** items acknowledged as delivered before */
  readonly duplicates: number;
  /** statuses `statusOrder` acknowledged without delivering: their message was further already */
  readonly superseded: number;
  /** the entry that first delivered what this one repeats, while it is held */
  readonly duplicate_of: number | null;
  /** the entry this one replays */
  readonly replay_of: number | null;
  readonly body_bytes: number;
}

export const DEFAULT_MAX_ENTRIES = 500;
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

/** One word for what became of a request: the error code of a failure, else what the 2xx means. */
export function verdictOf(outcome: RequestOutcome): string {
  if (outcome.error !== undefined) return outcome.error.code;
  const { result, duplicates = 0 } = outcome;
  if (outcome.method === "GET") return outcome.response.status < 300 ? "handshake" : "handshake_failed";
  if (result === undefined) return "acknowledged";
  const items = result.events.length + result.unhandled.length;
  if (
    result.events.length > 0 &&
    result.unhandled.length === 0 &&
    result.events.every((event) => event.type === "platform.webhook.verified")
  )
    return "verification";
  // a status held back is acknowledged like a duplicate: the verdict says when nothing else was delivered
  const superseded = outcome.superseded?.length ?? 0;
  if (superseded > 0) return superseded + duplicates >= items ? "superseded" : "partly_superseded";
  if (duplicates > 0) return duplicates >= items ? "duplicate" : "partly_duplicate";
  if (items === 0) return "empty";
  return result.unhandled.length > 0 && result.events.length === 0 ? "unhandled" : "delivered";
}

export function summarize(entry: Entry): Summary {
  const { outcome } = entry;
  return {
    id: entry.id,
    time: outcome.receivedAt.toISOString(),
    method: outcome.method,
    route: outcome.path,
    platform: outcome.platform ?? null,
    blocks: outcome.blocks ?? [],
    status: outcome.response.status,
    duration_ms: outcome.durationMs,
    verdict: verdictOf(outcome),
    events: outcome.result?.events.length ?? null,
    unhandled: outcome.result?.unhandled.length ?? null,
    duplicates: outcome.duplicates ?? 0,
    superseded: outcome.superseded?.length ?? 0,
    duplicate_of: entry.duplicateOf ?? null,
    replay_of: entry.replayOf ?? null,
    body_bytes: outcome.request.rawBody.byteLength,
  };
}

/**
 * What identifies each item of a request on redelivery: the envelope id, and for an unhandled record what the
 * delivery step keys it by (platform, block, kind, the raw item's id or the raw item).
 */
function identities(outcome: RequestOutcome): string[] {
  const ids: string[] = [];
  for (const event of outcome.result?.events ?? []) ids.push(event.id);
  for (const record of outcome.result?.unhandled ?? []) {
    const identity = record.raw_platform_event_id ?? JSON.stringify(record.raw) ?? "";
    ids.push(JSON.stringify([record.platform, record.block_id, record.kind, identity]));
  }
  return ids;
}

/** What an entry costs: its raw body, its headers and its envelopes as JSON (what the detail view sends). */
function costOf(outcome: RequestOutcome): number {
  let bytes = outcome.request.rawBody.byteLength + outcome.response.body.length + 512;
  for (const [name, value] of Object.entries(outcome.request.headers)) bytes += name.length + String(value).length;
  if (outcome.result !== undefined) bytes += JSON.stringify(outcome.result).length;
  return bytes;
}

/**
 * The last requests, bounded twice: at most `maxEntries`, and at most `maxBytes` of bodies, headers and envelopes
 * together, so a burst of large bodies cannot grow the process. The oldest entries go first. It also remembers
 * which entry first carried each event id, so a redelivery names the delivery it repeats while that one is held.
 */
export class RingBuffer {
  private readonly entries = new Map<number, Entry>();
  private readonly firstById = new Map<string, number>();
  private readonly idsOf = new Map<number, readonly string[]>();
  private next = 1;
  private bytes = 0;

  constructor(
    readonly maxEntries = DEFAULT_MAX_ENTRIES,
    readonly maxBytes = DEFAULT_MAX_BYTES,
  ) {}

  /** Adds an entry (dropping the oldest ones past a cap) and returns it; `undefined` when one entry exceeds the cap alone. */
  add(outcome: RequestOutcome, replayOf?: number): Entry | undefined {
    const bytes = costOf(outcome);
    if (bytes > this.maxBytes) return undefined;
    const id = this.next++;
    const ids = identities(outcome);
    let duplicateOf: number | undefined;
    if ((outcome.duplicates ?? 0) > 0) {
      for (const eventId of ids) {
        duplicateOf = this.firstById.get(eventId);
        if (duplicateOf !== undefined) break;
      }
    }
    const entry: Entry = {
      id,
      outcome,
      bytes,
      ...(duplicateOf === undefined ? {} : { duplicateOf }),
      ...(replayOf === undefined ? {} : { replayOf }),
    };
    // only a request that delivered its events is the "first delivery" a later one repeats
    if (outcome.response.status < 300) {
      const owned: string[] = [];
      for (const eventId of ids) {
        if (this.firstById.has(eventId)) continue;
        this.firstById.set(eventId, id);
        owned.push(eventId);
      }
      if (owned.length > 0) this.idsOf.set(id, owned);
    }
    this.entries.set(id, entry);
    this.bytes += bytes;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) this.dropOldest();
    return entry;
  }

  get(id: number): Entry | undefined {
    return this.entries.get(id);
  }

  /** oldest first */
  all(): Entry[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  private dropOldest(): void {
    const oldest = this.entries.keys().next();
    if (oldest.done === true) return;
    const id = oldest.value;
    this.bytes -= this.entries.get(id)!.bytes;
    this.entries.delete(id);
    for (const eventId of this.idsOf.get(id) ?? []) this.firstById.delete(eventId);
    this.idsOf.delete(id);
  }
}
