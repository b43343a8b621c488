import { z } from "zod";
import { ConfigError } from "../core";
import { PerPlatformDuration } from "./duration";
import {
  advanceRecord,
  type StatusOrderStore,
  type StatusRecord,
  type StatusStep,
  type StatusVerdict,
} from "./status-order";
import type { Claim, IdempotencyStore, ImmediateIdempotency, StoreDefinition } from "./store";

export const DEFAULT_MAX_ENTRIES = 100_000;

export interface MemoryStoreOptions {
  /** the most keys held at once; the least recently used is evicted beyond it (default 100 000) */
  readonly maxEntries?: number;
  /** milliseconds since the epoch; injectable for tests */
  readonly now?: () => number;
}

interface Entry {
  /** the claim token, or undefined once committed */
  token: string | undefined;
  expiresAt: number;
}

export type MemoryStoreStats = {
  readonly kind: "memory";
  readonly size: number;
  readonly max_entries: number;
  /** keys dropped, still inside their TTL, because the bound was reached: a redelivery of one would run again */
  readonly evictions: number;
  /** keys dropped because their TTL passed (swept when met: on a claim of the key or at the LRU end) */
  readonly expired: number;
};

/**
 * The embedded default: one process, bounded by count (LRU eviction) and by TTL. A restart forgets everything, and
 * two processes do not see each other's keys: use the Redis store for either (docs/reliability.md).
 */
export class MemoryStore implements IdempotencyStore, ImmediateIdempotency, StatusOrderStore {
  readonly kind = "memory";
  readonly maxEntries: number;
  private readonly entries = new Map<string, Entry>();
  /** statuses per message (`statusOrder`), bounded like the claims: oldest first out */
  private readonly statuses = new Map<string, { record: StatusRecord; expiresAt: number }>();
  private readonly now: () => number;
  private evictions = 0;
  private expired = 0;
  /**
   * Claim tokens: a count is enough, since only this store ever sees them and no two claims share a number (a late
   * release by an old holder presents an older number). Cheaper than `newToken()`, which must be unique across
   * processes for a shared store.
   */
  private claims = 0;
  /**
   * The keys, oldest first, for eviction: one iterator kept across evictions. A fresh `keys()` per eviction stepped
   * over every slot the evictions before it had emptied (until the map compacts itself), tens of µs per request
   * once the store was full. Map iterators are live: they see keys added after them, and every key behind this one
   * was evicted (a touched or committed key is re-inserted at the newest end, where the iterator meets it again).
   */
  private oldest: Iterator<string> | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new ConfigError(`idempotency max_entries must be a positive integer, got ${String(maxEntries)}`);
    }
    this.maxEntries = maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** every answer is known within the call: the delivery uses the `…Now` methods (a getter: no own field refers to the store) */
  get immediate(): ImmediateIdempotency {
    return this;
  }

  async claim(key: string, leaseMs: number): Promise<Claim> {
    return this.claimNow(key, leaseMs);
  }

  async commit(key: string, token: string, ttlMs: number): Promise<void> {
    this.commitNow(key, token, ttlMs);
  }

  async release(key: string, token: string): Promise<void> {
    this.releaseNow(key, token);
  }

  async advance(key: string, step: StatusStep, ttlMs: number): Promise<StatusVerdict> {
    return this.advanceNow(key, step, ttlMs);
  }

  /** The status compare-and-set; synchronous, so no other delivery of this process runs between read and write. */
  advanceNow(key: string, step: StatusStep, ttlMs: number): StatusVerdict {
    const now = this.now();
    let entry = this.statuses.get(key);
    if (entry !== undefined) this.statuses.delete(key);
    if (entry === undefined || entry.expiresAt <= now) entry = { record: new Map(), expiresAt: 0 };
    const verdict = advanceRecord(entry.record, step);
    if (verdict === "forward") entry.expiresAt = now + ttlMs;
    // re-inserted at the newest end; an untouched superseded record keeps its expiry
    if (entry.expiresAt > now) this.statuses.set(key, entry);
    while (this.statuses.size > this.maxEntries) {
      const oldest = this.statuses.keys().next().value;
      if (oldest === undefined) break;
      this.statuses.delete(oldest);
      this.evictions += 1;
    }
    return verdict;
  }

  claimNow(key: string, leaseMs: number): Claim {
    const now = this.now();
    const entry = this.live(key, now);
    if (entry !== undefined) {
      this.touch(key, entry);
      return entry.token === undefined ? { state: "done" } : { state: "in_flight" };
    }
    this.claims += 1;
    const token = String(this.claims);
    this.insert(key, { token, expiresAt: now + leaseMs }, now);
    return { state: "yours", token };
  }

  commitNow(key: string, _token: string, ttlMs: number): void {
    const now = this.now();
    this.entries.delete(key);
    this.insert(key, { token: undefined, expiresAt: now + ttlMs }, now);
  }

  releaseNow(key: string, token: string): void {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }

  stats(): MemoryStoreStats {
    return {
      kind: "memory",
      size: this.entries.size,
      max_entries: this.maxEntries,
      evictions: this.evictions,
      expired: this.expired,
    };
  }

  async close(): Promise<void> {
    this.entries.clear();
    this.statuses.clear();
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt > now) return entry;
    this.entries.delete(key);
    this.expired += 1;
    return undefined;
  }

  /** Map order is insertion order: re-inserting moves a key to the most recently used end. */
  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private insert(key: string, entry: Entry, now: number): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      this.oldest ??= this.entries.keys();
      let oldest = this.oldest.next();
      // a finished iterator stays finished: start over from the oldest key
      if (oldest.done === true) oldest = (this.oldest = this.entries.keys()).next();
      if (oldest.done === true) break;
      const victim = this.entries.get(oldest.value);
      this.entries.delete(oldest.value);
      if (victim !== undefined && victim.expiresAt <= now) this.expired += 1;
      else this.evictions += 1;
    }
  }
}

const MemoryStoreConfig = z.strictObject({
  store: z.literal("memory"),
  /** the most event ids held (LRU eviction beyond); default 100 000 */
  max_entries: z.int().positive().optional(),
  ttl: PerPlatformDuration.optional(),
});

/** `{ store: "memory", max_entries, ttl }`: this process's own memory (the default). */
export const memoryStore: StoreDefinition<typeof MemoryStoreConfig> = {
  config: MemoryStoreConfig,
  open: (config) => new MemoryStore(config.max_entries === undefined ? {} : { maxEntries: config.max_entries }),
};
