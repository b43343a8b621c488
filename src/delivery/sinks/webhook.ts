import { resolve } from "node:path";
import { z } from "zod";
import { ConfigError, messageOf, type Logger } from "../../core";
import { deliveryId } from "../../formats/delivery-id";
import { DEFAULT_DATA_DIR } from "../outbox";
import { killPoint } from "../outbox/kill-point";
import type { Sink, SinkBatch, SinkDeliveryObserver, SinkDeliveryOutcome } from "../sink";
import { appendDeadLetters, type DeadLetterRecord } from "./dead-letter";
import { SinkUnavailableError } from "./errors";
import type { SinkDefinition } from "./contract";
import { BatchRenderer, type SkipCounts } from "./render";
import { backoffMs, outcomeOf, retryAfterMs, type AttemptOutcome } from "./retry";
import { secretKey, standardWebhookHeaders } from "./standard-webhooks";
import { failureReason, SubscriberClient } from "./subscriber-client";
import { DurableQueue, MemoryQueue, type Delivery, type DeliveryQueue, type NewDelivery } from "./webhook-queue";
import { WebhookSinkConfig } from "./webhook-config";

export { WebhookSinkConfig } from "./webhook-config";

export interface WebhookSinkStats extends SkipCounts {
  delivered: number;
  retries: number;
  dead_lettered: number;
}

export interface WebhookSinkOptions {
  /** where the outbox file lives (`<dataDir>/outbox/<name>.sqlite`); default `./.convotic` from the current directory */
  readonly dataDir?: string;
  /** hears each retry and dead letter (warn) */
  readonly logger?: Logger;
  /** counts each delivery outcome */
  readonly observer?: SinkDeliveryObserver;
  /** for tests: the clock of `webhook-timestamp`, of backoff and of ages */
  readonly now?: () => number;
  /** for tests: the jitter source */
  readonly random?: () => number;
}

/**
 * Forwards each event to one subscriber as a Standard Webhooks request, one at a time and in order. By default
 * `write()` resolves once the batch is committed to the sink's durable outbox (an fsync'd SQLite file under the data
 * directory): that is what the platform's 200 means, and a crash loses nothing acknowledged; at the next start the
 * sink resumes where it was, with the same `webhook-id`s. A full outbox refuses the batch (503 + `Retry-After`).
 * With `outbox: { durable: false }` the queue is in memory (a crash loses it). Deliveries that exhaust
 * `max_attempts`, get a non-retryable status, or outlive `outbox.max_age` go to the dead-letter file.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly stats: WebhookSinkStats = { filtered: 0, unprojected: 0, delivered: 0, retries: 0, dead_lettered: 0 };
  private readonly config: z.output<typeof WebhookSinkConfig>;
  private readonly keys: Buffer[];
  private readonly renderer: BatchRenderer;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: Logger | undefined;
  private readonly observer: SinkDeliveryObserver | undefined;
  private readonly queue: DeliveryQueue;
  private readonly client: SubscriberClient;
  /** no new attempt, backoff sleeps end (durable: at close; in memory: when close gives up) */
  private readonly closing = new AbortController();
  /** the attempt in flight is cancelled */
  private readonly stopping = new AbortController();
  private worker: Promise<void> | undefined;
  private closed = false;

  constructor(input: WebhookSinkConfig, options: WebhookSinkOptions = {}) {
    const parsed = WebhookSinkConfig.safeParse(input);
    // the message names fields, never values: secrets must not reach a log
    if (!parsed.success)
      throw new ConfigError(
        `webhook sink: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
      );
    this.config = parsed.data;
    this.name = parsed.data.name;
    this.keys = parsed.data.secrets.map(secretKey);
    this.renderer = new BatchRenderer(parsed.data.filter, parsed.data.format, this.name, this.stats);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.logger = options.logger;
    this.observer = options.observer;
    this.client = new SubscriberClient(parsed.data.url);
    const { outbox } = parsed.data;
    this.queue = outbox.durable
      ? new DurableQueue(
          this.name,
          resolve(options.dataDir ?? DEFAULT_DATA_DIR),
          { maxBytes: outbox.max_bytes, maxAgeMs: outbox.max_age },
          this.now,
        )
      : new MemoryQueue(
          this.name,
          { size: parsed.data.queue_size, whenFull: parsed.data.when_full },
          this.now,
          () => this.closed,
          () => this.start(),
        );
    // what a previous run accepted and did not deliver goes out first, in order
    if (this.queue.stats().depth > 0) this.start();
  }

  /** undelivered deliveries, the one in flight included */
  get queued(): number {
    return this.queue.stats().depth;
  }

  /** depth, oldest age and (durable) bytes of what the sink holds: serve's gauges */
  outboxStats(): { depth: number; oldestAgeMs: number; bytes?: number; maxBytes?: number; durable: boolean } {
    return { ...this.queue.stats(), durable: this.queue.durable };
  }

  async ready(): Promise<boolean> {
    return this.unreadyReason() === undefined;
  }

  unreadyReason(): string | undefined {
    if (this.closed) return `sink ${this.name} is closed`;
    if (this.queue.full) {
      const { depth, bytes, maxBytes } = this.queue.stats();
      return this.queue.durable
        ? `sink ${this.name}: outbox full (${bytes ?? 0} of ${maxBytes ?? 0} bytes, ${depth} undelivered)`
        : `sink ${this.name}: queue full (${depth}/${this.config.queue_size})`;
    }
    const { oldestAgeMs } = this.queue.stats();
    if (oldestAgeMs > this.config.outbox.max_age)
      return `sink ${this.name}: oldest undelivered event is ${Math.round(oldestAgeMs / 1000)} s old (max_age ${this.config.outbox.max_age / 1000} s)`;
    return undefined;
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    const deliveries: NewDelivery[] = [];
    this.renderer.each(batch.events, (rendered, event) =>
      deliveries.push({
        id: deliveryId(event.id, this.name),
        eventId: event.id,
        eventType: event.type,
        body: rendered.body,
        contentType: rendered.contentType,
      }),
    );
    if (deliveries.length === 0) return;
    try {
      await this.queue.add(deliveries, signal);
    } catch (error) {
      if (error instanceof SinkUnavailableError)
        this.logger?.warn("sink refused a batch (the platform is answered 503 and redelivers)", {
          sink: this.name,
          events: deliveries.length,
          error: error.message,
        });
      throw error;
    }
    this.start();
  }

  /**
   * Stops taking batches. In memory: delivers what is queued, retries included; when `signal` aborts first, the
   * request in flight is cancelled and every undelivered item goes to the dead-letter file. Durable: lets the
   * attempt in flight finish (until `signal`), commits the outbox and closes it; what is undelivered waits on disk
   * for the next start.
   */
  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    this.queue.wakeWaiters();
    const onAbort = () => {
      this.closing.abort();
      this.stopping.abort();
    };
    if (this.queue.durable) this.closing.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.worker;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.queue.close();
      this.client.close();
    }
  }

  private start(): void {
    if (this.closing.signal.aborted) return;
    this.worker ??= this.run().finally(() => {
      this.worker = undefined;
      // in memory, a batch may have been queued while the worker was ending; a durable outbox's writes start the
      // worker after their commit, which cannot fall between its last `take()` and this line (both in one turn)
      if (!this.queue.durable && this.queue.stats().depth > 0 && !this.closing.signal.aborted) this.start();
    });
  }

  private async run(): Promise<void> {
    for (let delivery = this.queue.take(); delivery !== undefined; delivery = this.queue.take()) {
      if (this.closing.signal.aborted) {
        await this.shutdownWith(delivery, "shutdown before delivery");
        return;
      }
      if (!(await this.deliver(delivery))) return;
    }
  }

  /** In memory, what is left goes to the dead letters; durable, it stays in the outbox. */
  private async shutdownWith(delivery: Delivery, note: string): Promise<void> {
    if (this.queue.durable) return;
    await this.deadLetter([delivery, ...this.queue.abandon()], note);
  }

  /** Delivers, retries or dead-letters one delivery; false when the sink is stopping and the worker must end. */
  private async deliver(delivery: Delivery): Promise<boolean> {
    const policy = { baseMs: this.config.backoff_base_ms, maxMs: this.config.backoff_max_ms };
    for (;;) {
      if (this.now() - delivery.acceptedAt > this.config.outbox.max_age) {
        await this.deadLetter([delivery], `undelivered after max_age (${this.config.outbox.max_age} ms)`);
        return true;
      }
      const wait = delivery.nextAt - this.now();
      if (wait > 0 && !(await this.sleep(wait))) {
        await this.shutdownWith(delivery, "shutdown during retries");
        return false;
      }
      delivery.attempts += 1;
      const outcome = await this.attempt(delivery);
      if (outcome.kind === "delivered") {
        killPoint("after-delivery");
        this.queue.delivered(delivery);
        this.stats.delivered += 1;
        this.count("delivered");
        return true;
      }
      delivery.lastError = outcome.reason;
      if (outcome.kind === "refused" || delivery.attempts >= this.config.max_attempts) {
        await this.deadLetter(
          [delivery],
          outcome.kind === "refused" ? undefined : `gave up after ${delivery.attempts} attempt(s)`,
        );
        return true;
      }
      const backoff = backoffMs(
        delivery.attempts,
        policy,
        this.random,
        outcome.kind === "retry" ? outcome.retryAfterMs : undefined,
      );
      delivery.nextAt = this.now() + backoff;
      this.queue.retryLater(delivery);
      this.stats.retries += 1;
      this.count("retried");
      this.logger?.warn("webhook delivery failed; retrying", {
        sink: this.name,
        event_id: delivery.eventId,
        webhook_id: delivery.id,
        attempt: delivery.attempts,
        error: outcome.reason,
        retry_in_ms: Math.round(backoff),
      });
      if (this.stopping.signal.aborted && !this.queue.durable) {
        await this.deadLetter([delivery], "shutdown during retries");
        return false;
      }
    }
  }

  private async attempt(delivery: Delivery): Promise<AttemptOutcome> {
    const timestamp = Math.floor(this.now() / 1000);
    const headers = {
      "content-type": delivery.contentType,
      ...this.config.headers,
      "user-agent": "convotic-webhooks",
      ...standardWebhookHeaders(delivery.id, timestamp, delivery.body, this.keys),
    };
    try {
      const answer = await this.client.post(headers, delivery.body, this.config.timeout_ms, this.stopping.signal);
      return outcomeOf(answer.status, retryAfterMs(answer.retryAfter ?? null, this.now()));
    } catch (error) {
      return { kind: "retry", reason: failureReason(error) };
    }
  }

  /** Resolves true after `ms`, false at once if the sink is closing. */
  private sleep(ms: number): Promise<boolean> {
    const signal = this.closing.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", stop);
        resolve(true);
      }, ms);
      signal.addEventListener("abort", stop, { once: true });
    });
  }

  private count(outcome: SinkDeliveryOutcome): void {
    try {
      this.observer?.delivery?.(this.name, outcome);
    } catch {
      // an observer's failure must not stop deliveries
    }
  }

  private async deadLetter(deliveries: readonly Delivery[], note?: string): Promise<void> {
    if (deliveries.length === 0) return;
    const records: DeadLetterRecord[] = deliveries.map((delivery) => ({
      id: delivery.id,
      sink: this.name,
      url: this.config.url,
      event_id: delivery.eventId,
      event_type: delivery.eventType,
      content_type: delivery.contentType,
      body: delivery.body,
      attempts: delivery.attempts,
      last_error: [delivery.lastError, note].filter((part) => part !== undefined && part !== "").join("; "),
      dead_at: new Date(this.now()).toISOString(),
    }));
    try {
      await appendDeadLetters(this.config.dead_letter, records);
    } catch (error) {
      // the last copy: say so loudly rather than lose it silently; a durable outbox keeps it for the next start
      const message = `sink ${this.name}: cannot write ${records.length} dead letter(s) to ${this.config.dead_letter}: ${messageOf(error)}`;
      if (this.logger === undefined) process.emitWarning(message);
      else this.logger.error(message, { sink: this.name });
      if (this.queue.durable) return;
    }
    for (const delivery of deliveries) {
      this.queue.deadLettered(delivery);
      this.stats.dead_lettered += 1;
      this.count("dead_lettered");
      this.logger?.warn("webhook delivery dead-lettered", {
        sink: this.name,
        event_id: delivery.eventId,
        webhook_id: delivery.id,
        attempt: delivery.attempts,
        error: records.find((record) => record.id === delivery.id)?.last_error ?? "",
        file: this.config.dead_letter,
      });
    }
  }
}

/** `{ kind: "webhook", name, url, secrets, dead_letter }`: Standard Webhooks deliveries with retries and an outbox. */
export const webhookSink: SinkDefinition<typeof WebhookSinkConfig> = {
  config: WebhookSinkConfig,
  defaultName: (config) => config.name,
  create: (config, environment) =>
    new WebhookSink(config, {
      ...(environment.dataDir === undefined ? {} : { dataDir: environment.dataDir }),
      ...(environment.logger === undefined ? {} : { logger: environment.logger }),
      ...(environment.observer === undefined ? {} : { observer: environment.observer }),
    }),
};
