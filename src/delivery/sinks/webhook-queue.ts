import { join } from "node:path";
import { Outbox, type OutboxEntry } from "../outbox";
import { SinkUnavailableError } from "./errors";

/** One delivery to the subscriber; `id` is its `webhook-id`, stable across retries and restarts. */
export interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  readonly contentType: string;
  /** when it was accepted (ms since the epoch) */
  readonly acceptedAt: number;
  attempts: number;
  /** no attempt before this time (ms since the epoch) */
  nextAt: number;
  lastError: string;
}

export type NewDelivery = Omit<Delivery, "acceptedAt" | "attempts" | "nextAt" | "lastError">;

/**
 * Where a webhook sink keeps what it accepted until the subscriber has it: the durable outbox (default) or memory.
 * `take()` hands out each delivery once, oldest first; the sink reports its fate with `delivered`, `deadLettered`
 * or `retryLater`.
 */
export interface DeliveryQueue {
  readonly durable: boolean;
  /** accepted: what the platform's 200 rests on */
  add(deliveries: readonly NewDelivery[], signal: AbortSignal): Promise<void>;
  take(): Delivery | undefined;
  delivered(delivery: Delivery): void;
  deadLettered(delivery: Delivery): void;
  retryLater(delivery: Delivery): void;
  /** whether `add` would be refused now */
  readonly full: boolean;
  /** undelivered deliveries (the one in flight included) and the oldest one's age */
  stats(): { depth: number; oldestAgeMs: number; bytes?: number; maxBytes?: number };
  /** in memory: what must be dead-lettered at shutdown; durable: nothing (it waits on disk for the next start) */
  abandon(): Delivery[];
  /** wakes `add()` calls waiting for room (they then see the sink closed) */
  wakeWaiters(): void;
  close(): void;
}

interface Payload {
  readonly event_id: string;
  readonly event_type: string;
  readonly content_type: string;
  readonly body: string;
}

/** The durable queue: an `Outbox` file per sink under the data directory. */
export class DurableQueue implements DeliveryQueue {
  readonly durable = true;
  private readonly outbox: Outbox;
  private window: { entry: OutboxEntry; delivery: Delivery }[] = [];
  private readonly entries = new Map<Delivery, OutboxEntry>();

  constructor(sink: string, dataDir: string, limits: { maxBytes: number; maxAgeMs: number }, now: () => number) {
    this.outbox = Outbox.open({
      path: join(dataDir, "outbox", `${sink}.sqlite`),
      owner: sink,
      maxBytes: limits.maxBytes,
      maxAgeMs: limits.maxAgeMs,
      now,
    });
  }

  get path(): string {
    return this.outbox.path;
  }

  get full(): boolean {
    return this.outbox.full;
  }

  add(deliveries: readonly NewDelivery[]): Promise<void> {
    return this.outbox.add(
      deliveries.map((delivery) => {
        const payload: Payload = {
          event_id: delivery.eventId,
          event_type: delivery.eventType,
          content_type: delivery.contentType,
          body: delivery.body,
        };
        return { id: delivery.id, payload: JSON.stringify(payload) };
      }),
    );
  }

  take(): Delivery | undefined {
    if (this.window.length === 0) {
      this.window = this.outbox.next(256).map((entry) => {
        const payload = JSON.parse(entry.payload) as Payload;
        const delivery: Delivery = {
          id: entry.id,
          eventId: payload.event_id,
          eventType: payload.event_type,
          body: payload.body,
          contentType: payload.content_type,
          acceptedAt: entry.createdAt,
          attempts: entry.attempts,
          nextAt: entry.nextAt,
          lastError: entry.lastError,
        };
        return { entry, delivery };
      });
    }
    const next = this.window.shift();
    if (next === undefined) return undefined;
    this.entries.set(next.delivery, next.entry);
    return next.delivery;
  }

  delivered(delivery: Delivery): void {
    const entry = this.settle(delivery);
    if (entry !== undefined) this.outbox.done(entry);
  }

  deadLettered(delivery: Delivery): void {
    const entry = this.settle(delivery);
    if (entry !== undefined) this.outbox.remove(entry);
  }

  retryLater(delivery: Delivery): void {
    const entry = this.entries.get(delivery);
    if (entry === undefined) return;
    entry.attempts = delivery.attempts;
    entry.nextAt = delivery.nextAt;
    entry.lastError = delivery.lastError;
    this.outbox.retryLater(entry);
  }

  stats() {
    const { depth, oldestAgeMs, bytes, maxBytes } = this.outbox.stats();
    return { depth, oldestAgeMs, bytes, maxBytes };
  }

  abandon(): Delivery[] {
    return [];
  }

  wakeWaiters(): void {}

  close(): void {
    this.outbox.close();
  }

  private settle(delivery: Delivery): OutboxEntry | undefined {
    const entry = this.entries.get(delivery);
    this.entries.delete(delivery);
    return entry;
  }
}

/**
 * The in-memory queue (`outbox: { durable: false }`): fast, and lost on a crash, acknowledged events included.
 * Full: `when_full: "wait"` holds `add()` until room frees up or its signal aborts (503), `"reject"` refuses at once.
 */
export class MemoryQueue implements DeliveryQueue {
  readonly durable = false;
  private readonly queue: Delivery[] = [];
  private readonly roomWaiters = new Set<() => void>();
  private inFlight: Delivery | undefined;

  constructor(
    private readonly sink: string,
    private readonly limits: { size: number; whenFull: "wait" | "reject" },
    private readonly now: () => number,
    private readonly isClosed: () => boolean,
    /** starts the sink's worker: each delivery is taken as it is queued, which makes room for the next */
    private readonly queued: () => void,
  ) {}

  get full(): boolean {
    return this.queue.length >= this.limits.size;
  }

  async add(deliveries: readonly NewDelivery[], signal: AbortSignal): Promise<void> {
    if (this.limits.whenFull === "reject" && this.queue.length + deliveries.length > this.limits.size) {
      throw new SinkUnavailableError(this.sink, `queue full (${this.queue.length}/${this.limits.size})`);
    }
    for (const delivery of deliveries) {
      while (this.queue.length >= this.limits.size) await this.room(signal);
      this.queue.push({ ...delivery, acceptedAt: this.now(), attempts: 0, nextAt: 0, lastError: "" });
      this.queued();
    }
  }

  take(): Delivery | undefined {
    this.inFlight = this.queue.shift();
    for (const wake of this.roomWaiters) wake();
    return this.inFlight;
  }

  delivered(): void {
    this.inFlight = undefined;
  }

  deadLettered(): void {
    this.inFlight = undefined;
  }

  retryLater(): void {}

  stats() {
    const oldest = this.inFlight ?? this.queue[0];
    return {
      depth: this.queue.length + (this.inFlight === undefined ? 0 : 1),
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.now() - oldest.acceptedAt),
    };
  }

  abandon(): Delivery[] {
    return this.queue.splice(0);
  }

  wakeWaiters(): void {
    for (const wake of this.roomWaiters) wake();
  }

  close(): void {}

  private room(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.roomWaiters.delete(done);
        signal.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        this.roomWaiters.delete(done);
        reject(new SinkUnavailableError(this.sink, `queue full (${this.limits.size}) until the deadline`));
      };
      if (signal.aborted) return abort();
      this.roomWaiters.add(done);
      signal.addEventListener("abort", abort, { once: true });
    }).then(() => {
      if (this.isClosed()) throw new SinkUnavailableError(this.sink, "closed");
    });
  }
}
