import { z } from "zod";
import { ConfigError, messageOf } from "../../core";
import { deliveryId } from "../../formats/delivery-id";
import type { Sink, SinkBatch } from "../sink";
import { appendDeadLetters, type DeadLetterRecord } from "./dead-letter";
import { SinkUnavailableError } from "./errors";
import { hasCredentials } from "./credentials";
import { filterOf, render, SinkFilter, SinkFormat, type SkipCounts } from "./render";
import { backoffMs, outcomeOf, retryAfterMs, type AttemptOutcome } from "./retry";
import { secretKey, standardWebhookHeaders, WhsecSecret } from "./standard-webhooks";

/** Headers a delivery sets itself (Standard Webhooks, body framing) cannot be replaced by `headers`. */
const OWN_HEADERS = new Set(["content-type", "content-length", "host", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "transfer-encoding", "connection"]);
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** printable ASCII only: fetch refuses other values with an error that quotes them, and errors reach dead letters */
const ExtraHeaders = z.record(z.string(), z.string().min(1).regex(/^[\t\x20-\x7e]*$/, "printable ASCII on one line")).superRefine((headers, context) => {
  for (const name of Object.keys(headers)) {
    if (!TOKEN.test(name)) context.addIssue({ code: "custom", path: [name], message: "not an HTTP header name" });
    else if (OWN_HEADERS.has(name.toLowerCase())) context.addIssue({ code: "custom", path: [name], message: "a header the sink sets itself" });
  }
});

export const WebhookSinkConfig = z.strictObject({
  kind: z.literal("webhook"),
  /** keys the `webhook-id` of every delivery: renaming a subscriber changes its ids */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and -"),
  /** credentials in the URL are refused: they would be written into dead letters; use `headers` */
  url: z.url({ protocol: /^https?$/ }).refine((url) => !hasCredentials(url), {
    message: 'credentials in the URL are refused (they would be written to dead letters); send them as a header: "headers": { "authorization": "${HOOK_AUTH}" }',
  }),
  /**
   * extra request headers, e.g. `{ "authorization": "${HOOK_AUTH}" }` (values from environment references): sent
   * with every delivery, never logged nor written to dead letters
   */
  headers: ExtraHeaders.optional(),
  /** every secret signs each request (rotation: add the new one, remove the old one once the subscriber switched) */
  secrets: z.array(WhsecSecret).min(1),
  filter: SinkFilter.optional(),
  format: SinkFormat.default("envelope"),
  /** deliveries held in memory per subscriber */
  queue_size: z.number().int().positive().default(1000),
  /** when the queue is full: `wait` for room (bounded by the caller's deadline) or `reject` at once */
  when_full: z.enum(["wait", "reject"]).default("wait"),
  /** attempts per delivery, the first included */
  max_attempts: z.number().int().positive().default(8),
  backoff_base_ms: z.number().int().nonnegative().default(1000),
  backoff_max_ms: z.number().int().positive().default(5 * 60_000),
  timeout_ms: z.number().int().positive().default(15_000),
  /** the JSON-lines file for deliveries that exhaust their retries (`convotic replay --dead-letter FILE`) */
  dead_letter: z.string().min(1),
});
export type WebhookSinkConfig = z.input<typeof WebhookSinkConfig>;

interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  readonly contentType: string;
  attempts: number;
  lastError: string;
}

export interface WebhookSinkStats extends SkipCounts {
  delivered: number;
  retries: number;
  dead_lettered: number;
}

export interface WebhookSinkOptions {
  /** for tests: the clock of `webhook-timestamp` */
  readonly now?: () => number;
  /** for tests: the jitter source */
  readonly random?: () => number;
}

/**
 * Forwards each event to one subscriber as a Standard Webhooks request, one at a time and in order. `write()`
 * resolves once the batch is in the in-memory queue: that is what the platform's 200 means, so a crash loses
 * what is queued (the durable stream sink is for that). Queue full: `when_full: "wait"` holds `write()` until
 * room frees up or the caller's signal aborts (then it rejects and the platform redelivers; already queued events
 * of that batch are sent again with the same `webhook-id`, which receivers deduplicate on), `"reject"` refuses the
 * whole batch at once. Deliveries that exhaust `max_attempts`, get a non-retryable status, or are still queued
 * when `close()` gives up go to the dead-letter file.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly stats: WebhookSinkStats = { filtered: 0, unprojected: 0, delivered: 0, retries: 0, dead_lettered: 0 };
  private readonly config: z.output<typeof WebhookSinkConfig>;
  private readonly keys: Buffer[];
  private readonly matches: ReturnType<typeof filterOf>;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly queue: Delivery[] = [];
  private readonly roomWaiters = new Set<() => void>();
  private readonly stopping = new AbortController();
  private worker: Promise<void> | undefined;
  private closed = false;

  constructor(input: WebhookSinkConfig, options: WebhookSinkOptions = {}) {
    const parsed = WebhookSinkConfig.safeParse(input);
    // the message names fields, never values: secrets must not reach a log
    if (!parsed.success) throw new ConfigError(`webhook sink: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
    this.config = parsed.data;
    this.name = parsed.data.name;
    this.keys = parsed.data.secrets.map(secretKey);
    this.matches = filterOf(parsed.data.filter);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** deliveries waiting, the one in flight excluded */
  get queued(): number {
    return this.queue.length;
  }

  async ready(): Promise<boolean> {
    return !this.closed && this.queue.length < this.config.queue_size;
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    const deliveries: Delivery[] = [];
    for (const event of batch.events) {
      if (!this.matches(event.type)) {
        this.stats.filtered += 1;
        continue;
      }
      const rendered = render(event, this.config.format, this.name);
      if (rendered === undefined) {
        this.stats.unprojected += 1;
        continue;
      }
      const id = deliveryId(event.id, this.name);
      deliveries.push({ id, eventId: event.id, eventType: event.type, body: rendered.body, contentType: rendered.contentType, attempts: 0, lastError: "" });
    }
    if (this.config.when_full === "reject" && this.queue.length + deliveries.length > this.config.queue_size) {
      throw new SinkUnavailableError(this.name, `queue full (${this.queue.length}/${this.config.queue_size})`);
    }
    for (const delivery of deliveries) {
      while (this.queue.length >= this.config.queue_size) await this.room(signal);
      this.queue.push(delivery);
      this.start();
    }
  }

  /**
   * Stops taking batches and delivers what is queued, retries included. When `signal` aborts first, the request
   * in flight is cancelled and every undelivered item goes to the dead-letter file.
   */
  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    for (const wake of this.roomWaiters) wake();
    const onAbort = () => this.stopping.abort();
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    try {
      await this.worker;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  private room(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.roomWaiters.delete(done);
        signal.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        this.roomWaiters.delete(done);
        reject(new SinkUnavailableError(this.name, `queue full (${this.config.queue_size}) until the deadline`));
      };
      if (signal.aborted) return abort();
      this.roomWaiters.add(done);
      signal.addEventListener("abort", abort, { once: true });
    }).then(() => {
      if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    });
  }

  private start(): void {
    this.worker ??= this.run().finally(() => {
      this.worker = undefined;
      if (this.queue.length > 0 && !this.stopping.signal.aborted) this.start();
    });
  }

  private async run(): Promise<void> {
    for (let delivery = this.queue.shift(); delivery !== undefined; delivery = this.queue.shift()) {
      for (const wake of this.roomWaiters) wake();
      if (this.stopping.signal.aborted) {
        await this.deadLetter([delivery, ...this.queue.splice(0)], "shutdown before delivery");
        return;
      }
      await this.deliver(delivery);
    }
  }

  private async deliver(delivery: Delivery): Promise<void> {
    const policy = { baseMs: this.config.backoff_base_ms, maxMs: this.config.backoff_max_ms };
    for (;;) {
      delivery.attempts += 1;
      const outcome = await this.attempt(delivery);
      if (outcome.kind === "delivered") {
        this.stats.delivered += 1;
        return;
      }
      delivery.lastError = outcome.reason;
      if (outcome.kind === "refused" || delivery.attempts >= this.config.max_attempts || this.stopping.signal.aborted) {
        await this.deadLetter([delivery], outcome.kind === "refused" ? undefined : `gave up after ${delivery.attempts} attempt(s)`);
        return;
      }
      this.stats.retries += 1;
      const wait = backoffMs(delivery.attempts, policy, this.random, outcome.kind === "retry" ? outcome.retryAfterMs : undefined);
      if (!(await this.sleep(wait))) {
        await this.deadLetter([delivery], "shutdown during retries");
        return;
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
      const response = await fetch(this.config.url, {
        method: "POST",
        headers,
        body: delivery.body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.config.timeout_ms), this.stopping.signal]),
      });
      await response.body?.cancel();
      return outcomeOf(response.status, retryAfterMs(response.headers.get("retry-after"), this.now()));
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      const reason = (error as Error).name === "TimeoutError" ? `timeout after ${this.config.timeout_ms} ms` : String(cause?.code ?? messageOf(error));
      return { kind: "retry", reason };
    }
  }

  /** Resolves true after `ms`, false at once if the sink is stopping. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve(false);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.stopping.signal.removeEventListener("abort", stop);
        resolve(true);
      }, ms);
      this.stopping.signal.addEventListener("abort", stop, { once: true });
    });
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
      // the last copy: say so loudly rather than lose it silently
      process.emitWarning(`sink ${this.name}: cannot write ${records.length} dead letter(s) to ${this.config.dead_letter}: ${messageOf(error)}`);
    } finally {
      this.stats.dead_lettered += records.length;
    }
  }
}
