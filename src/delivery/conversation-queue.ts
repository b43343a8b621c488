/**
 * In-process order per conversation: the tasks of one key run one at a time, in the order they were pushed (stream
 * order), while different keys run concurrently. With a reorder window W, a task is held until W ms after it arrived
 * and the held tasks of its key are released earliest platform timestamp first, ties (and missing timestamps) by
 * stream sequence: deliveries that raced by less than W come out in the order they happened on the platform, at the
 * cost of W ms of latency on every event (docs/scaling.md).
 */

interface Held {
  readonly timestamp: number;
  readonly sequence: number;
  readonly arrived: number;
  readonly run: () => Promise<void>;
  readonly settle: { resolve: () => void; reject: (error: unknown) => void };
}

export interface ConversationQueueOptions {
  /** hold each task this long to release its key's tasks in timestamp order (default 0: stream order, no wait) */
  readonly reorderWindowMs?: number;
  /** injectable for tests */
  readonly now?: () => number;
}

/** Per-key serial execution with concurrency across keys, and an optional reorder window (see the file's comment). */
export class ConversationQueue {
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly keys = new Map<string, Held[]>();

  constructor(options: ConversationQueueOptions = {}) {
    this.windowMs = Math.max(0, options.reorderWindowMs ?? 0);
    this.now = options.now ?? Date.now;
  }

  /** keys with tasks held or running */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Queues `run` under `key`; resolves (or rejects) with it. `timestamp` is the platform's (ms, NaN when unknown),
   * `sequence` the stream's.
   */
  push(key: string, timestamp: number, sequence: number, run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const held: Held = {
        timestamp: Number.isFinite(timestamp) ? timestamp : Number.NaN,
        sequence,
        arrived: this.now(),
        run,
        settle: { resolve, reject },
      };
      const queue = this.keys.get(key);
      if (queue !== undefined) {
        queue.push(held);
        return;
      }
      this.keys.set(key, [held]);
      void this.drain(key);
    });
  }

  /** Runs the key's tasks one at a time until none is left. */
  private async drain(key: string): Promise<void> {
    const queue = this.keys.get(key)!;
    while (queue.length > 0) {
      if (this.windowMs > 0) {
        // the task that arrived first waits out its window; meanwhile later ones of the key may join
        const first = Math.min(...queue.map((held) => held.arrived));
        const wait = first + this.windowMs - this.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const next = this.windowMs > 0 ? earliest(queue) : 0;
      const [held] = queue.splice(next, 1);
      try {
        await held!.run();
        held!.settle.resolve();
      } catch (error) {
        held!.settle.reject(error);
      }
    }
    this.keys.delete(key);
  }
}

/** The index of the earliest task by platform timestamp, then stream sequence; an unknown timestamp sorts by sequence. */
function earliest(queue: readonly Held[]): number {
  let best = 0;
  for (let index = 1; index < queue.length; index += 1) {
    const a = queue[index]!;
    const b = queue[best]!;
    const byTime = Number.isNaN(a.timestamp) || Number.isNaN(b.timestamp) ? 0 : Math.sign(a.timestamp - b.timestamp);
    if (byTime < 0 || (byTime === 0 && a.sequence < b.sequence)) best = index;
  }
  return best;
}
