import { ConfigError, messageOf, type UnifiedEvent } from "../core";
import { StoreUnavailableError, type IdempotencyStore } from "./store";

/**
 * Statuses that only move forward. Platforms say their status webhooks may arrive in any order (WhatsApp: "may
 * reach your app in an order that does not reflect when they happened"; Twilio: status callbacks "can arrive out of
 * order"), and consumers that keep the latest status per message then move a read message back to delivered. With
 * this option the delivery step keeps, per platform message, the furthest status it let through, in the idempotency
 * store (atomically: a Lua script on Redis), and acknowledges without delivering a status that would move it back.
 */

/** How a status compares with what the store recorded for its message (the store's compare-and-set answer). */
export type StatusVerdict = "forward" | "superseded";

/** One compare-and-set on one message (or one conversation's watermark). */
export interface StatusStep {
  /** the event type's rank in the table (higher is further) */
  readonly rank: number;
  /** the highest rank in the table: ranks above `rank` up to it supersede this step */
  readonly top: number;
  /** 0 for a status of one message; the watermark (ms since the epoch) for a conversation-wide status */
  readonly position: number;
  /** the event id: a redelivery of the event that recorded a rank passes again (its earlier run may have failed) */
  readonly id: string;
  /**
   * A status the message may skip (WhatsApp's `delivered`, skipped by `read`) is let through when it was never
   * recorded: ranks above `rank` up to `fill` do not supersede it (0: none is ignored).
   */
  readonly fill: number;
}

/** The store's side: optional, since a third-party store may not implement it (the option then refuses to start). */
export interface StatusOrderStore {
  advance(key: string, step: StatusStep, ttlMs: number): Promise<StatusVerdict>;
}

/** Ranks by event type: `sent` < `delivered` < `read` < `failed`. A rank table per platform may replace it. */
export const DEFAULT_STATUS_RANKS: Readonly<Record<string, number>> = {
  "messaging.message.sent": 1,
  "messaging.message.delivered": 2,
  "messaging.message.read": 3,
  // terminal, as WhatsApp and Twilio document it: a late `sent` must never undo a failure (chatwoot PR #14149 review)
  "messaging.message.failed": 4,
};

/** A status → the one that may skip it: WhatsApp "may skip a delivered when read is implied". */
export const DEFAULT_SKIPPABLE: Readonly<Record<string, string>> = {
  "messaging.message.delivered": "messaging.message.read",
};

export interface StatusOrderOptions {
  /**
   * Rank tables by platform (`default` for the rest): event type → rank. A platform whose adapter emits other status
   * types (Twilio's `queued`, `undelivered`…) adds a row here; nothing in the code names a platform.
   */
  readonly ranks?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** a status → the status that may skip it (default `messaging.message.delivered` → `messaging.message.read`) */
  readonly skippable?: Readonly<Record<string, string>>;
  /**
   * What happens to a skippable status that arrives after a higher one and was never recorded (a `delivered` after
   * its `read`): `deliver` (default; it is news: the message was never reported delivered) or `drop`.
   */
  readonly skipped?: "deliver" | "drop";
}

/** The store keys (and positions) of one status event; empty when the event says nothing to order by. */
export function statusKeys(event: UnifiedEvent): { key: string; position: number }[] {
  const data = event.data as {
    message?: { id?: unknown };
    message_ids?: unknown;
    watermark?: unknown;
    contact_id?: unknown;
    conversation_id?: unknown;
  };
  const contact = typeof data.contact_id === "string" ? data.contact_id : "";
  // a watermark covers every message of the conversation up to it (Messenger and Instagram read and delivery)
  if (typeof data.watermark === "string" && typeof data.conversation_id === "string") {
    const position = Date.parse(data.watermark);
    if (Number.isFinite(position)) return [{ key: `status:${event.platform}:${data.conversation_id}:wm`, position }];
  }
  const ids: string[] = [];
  if (typeof data.message?.id === "string") ids.push(data.message.id);
  if (Array.isArray(data.message_ids))
    for (const id of data.message_ids) if (typeof id === "string" && id !== "") ids.push(id);
  // per recipient: a group message has one status per member
  return ids.map((id) => ({ key: `status:${event.platform}:${id}:${contact}`, position: 0 }));
}

/** The delivery step's status filter over one store. */
export class StatusOrder {
  private readonly ranks: Readonly<Record<string, Readonly<Record<string, number>>>>;
  private readonly skippable: Readonly<Record<string, string>>;
  private readonly fillSkipped: boolean;
  private readonly store: StatusOrderStore;

  constructor(store: IdempotencyStore | undefined, options: StatusOrderOptions = {}) {
    const advance = (store as Partial<StatusOrderStore> | undefined)?.advance;
    if (store === undefined || typeof advance !== "function") {
      throw new ConfigError(
        `statusOrder needs an idempotency store that keeps statuses (memory or redis); ${store === undefined ? "idempotency is off" : `the ${store.kind} store does not`}`,
      );
    }
    this.store = store as IdempotencyStore & StatusOrderStore;
    this.ranks = { default: DEFAULT_STATUS_RANKS, ...options.ranks };
    this.skippable = options.skippable ?? DEFAULT_SKIPPABLE;
    this.fillSkipped = (options.skipped ?? "deliver") === "deliver";
    for (const [platform, table] of Object.entries(this.ranks)) {
      for (const [type, rank] of Object.entries(table)) {
        if (!Number.isInteger(rank) || rank < 1)
          throw new ConfigError(`statusOrder rank of ${type} for ${platform} must be a positive integer`);
      }
    }
  }

  /** Whether `event` is a status this option orders on its platform. */
  applies(event: UnifiedEvent): boolean {
    return this.tableOf(event.platform)[event.type] !== undefined;
  }

  /**
   * Asks the store about each event (every key of one event at once): `forward` when at least one of its messages
   * moves forward, `superseded` when none does, or the store's failure.
   */
  async decide(events: readonly UnifiedEvent[], ttlMs: number): Promise<(StatusVerdict | StoreUnavailableError)[]> {
    return Promise.all(
      events.map(async (event) => {
        const table = this.tableOf(event.platform);
        const rank = table[event.type]!;
        const keys = statusKeys(event);
        if (keys.length === 0) return "forward";
        const step = {
          rank,
          top: Math.max(...Object.values(table)),
          id: event.id,
          fill: this.fillSkipped ? (table[this.skippable[event.type] ?? ""] ?? 0) : 0,
        };
        try {
          const verdicts = await Promise.all(
            keys.map(({ key, position }) => this.store.advance(key, { ...step, position }, ttlMs)),
          );
          return verdicts.includes("forward") ? "forward" : "superseded";
        } catch (error) {
          return error instanceof StoreUnavailableError ? error : new StoreUnavailableError("status", messageOf(error));
        }
      }),
    );
  }

  /**
   * Splits the claimed `items` of a run: statuses to deliver stay in the returned `keep`; superseded ones and those
   * the store could not order (with its error) come back apart.
   */
  async sift<T extends { readonly event?: UnifiedEvent }>(
    items: readonly T[],
    ttlMs: number,
  ): Promise<{ keep: T[]; superseded: T[]; failed: [T, StoreUnavailableError][] }> {
    const asked = items.filter((item) => item.event !== undefined && this.applies(item.event));
    const result = { keep: [...items], superseded: [] as T[], failed: [] as [T, StoreUnavailableError][] };
    if (asked.length === 0) return result;
    const verdicts = await this.decide(
      asked.map((item) => item.event!),
      ttlMs,
    );
    const out = new Set<T>();
    verdicts.forEach((verdict, index) => {
      const item = asked[index]!;
      if (verdict === "forward") return;
      out.add(item);
      if (verdict === "superseded") result.superseded.push(item);
      else result.failed.push([item, verdict]);
    });
    if (out.size > 0) result.keep = items.filter((item) => !out.has(item));
    return result;
  }

  private tableOf(platform: string): Readonly<Record<string, number>> {
    return this.ranks[platform] ?? this.ranks["default"] ?? DEFAULT_STATUS_RANKS;
  }
}

/** One key's recorded statuses: rank → the furthest position and the event that recorded it. */
export type StatusRecord = Map<number, { position: number; id: string }>;

/**
 * The compare-and-set itself, for a store that holds the record in memory (the Redis store runs the same steps in
 * Lua). Mutates `record` when the step moves forward.
 */
export function advanceRecord(record: StatusRecord, step: StatusStep): StatusVerdict {
  const mine = record.get(step.rank);
  // the same rank recorded at or beyond this position by another event: a repeat, not news
  if (mine !== undefined && mine.id !== step.id && mine.position >= step.position) return "superseded";
  for (let rank = Math.max(step.rank, step.fill) + 1; rank <= step.top; rank += 1) {
    const higher = record.get(rank);
    if (higher !== undefined && higher.position >= step.position) return "superseded";
  }
  if (mine === undefined || mine.id === step.id || mine.position < step.position)
    record.set(step.rank, { position: step.position, id: step.id });
  return "forward";
}

/** The same steps as `advanceRecord`, on a Redis hash (fields `r<rank>` = `<position>|<event id>`). */
export const ADVANCE_LUA = `local rank = tonumber(ARGV[1])
local top = tonumber(ARGV[2])
local pos = tonumber(ARGV[3])
local id = ARGV[4]
local function get(r)
  local v = redis.call('HGET', KEYS[1], 'r' .. r)
  if not v then return nil, nil end
  local bar = string.find(v, '|', 1, true)
  return tonumber(string.sub(v, 1, bar - 1)), string.sub(v, bar + 1)
end
local mp, mo = get(rank)
if mp and mo ~= id and mp >= pos then return 0 end
for r = math.max(rank, tonumber(ARGV[5])) + 1, top do
  local p = get(r)
  if p and p >= pos then return 0 end
end
if (not mp) or mo == id or mp < pos then redis.call('HSET', KEYS[1], 'r' .. rank, ARGV[3] .. '|' .. id) end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`;
