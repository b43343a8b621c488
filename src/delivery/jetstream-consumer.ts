import { messageOf, typeMatcher, UnifiedEventSchema, type UnifiedEvent } from "../core";
import { DEFAULT_SUBJECT_PREFIX } from "./sinks/jetstream";
import { loadNats, nanos } from "./sinks/nats-client";

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;
const DEFAULT_CLOSE_MS = 10_000;

export interface JetStreamConsumerOptions {
  /** `nats://host:port`, one or several */
  readonly servers: string | readonly string[];
  readonly stream: string;
  /** the durable consumer's name: a restarted consumer with the same name resumes where the last one acknowledged */
  readonly durable: string;
  /** event types or patterns, as for `router.on()` (`"messaging.*"`); absent means every type */
  readonly filter?: string | readonly string[];
  /** the sink's `subject_prefix` (default "convotic") */
  readonly subjectPrefix?: string;
  /** what handles each event: the typed router (a failing handler makes the dispatch reject) */
  readonly router: { dispatch(event: UnifiedEvent): Promise<void> };
  /** how long the server waits for an ack before redelivering (default 30 s) */
  readonly ackWaitMs?: number;
  /** deliveries before an event is dead-lettered (default 5) */
  readonly maxDeliver?: number;
  /** where events that keep failing (and bodies that are not envelopes) go; default `<prefix>_dead_letter.<durable>` */
  readonly deadLetterSubject?: string;
  /** messages pulled ahead of handling (default 32) */
  readonly maxMessages?: number;
  /** each failure: a handler error (will be redelivered or dead-lettered) or a dead-letter publish that failed */
  readonly onError?: (error: unknown, context: { readonly id?: string; readonly delivery: number; readonly deadLettered: boolean }) => void;
}

export interface JetStreamConsumerStats {
  handled: number;
  failed: number;
  deadLettered: number;
  skipped: number;
}

export interface JetStreamConsumer {
  readonly stats: JetStreamConsumerStats;
  /** Stops pulling, lets the event in hand finish, gives back what was pulled but not handled, and disconnects. */
  close(signal?: AbortSignal): Promise<void>;
  /** resolves when the consumer stopped (closed, or the connection ended) */
  readonly done: Promise<void>;
}

/** `messaging.*` → `<prefix>.*.messaging.>`; a pattern NATS wildcards cannot express exactly gets a wider subject. */
function subjectFilters(prefix: string, filter: readonly string[] | undefined): string[] {
  if (filter === undefined || filter.length === 0) return [`${prefix}.*.>`];
  return filter.map((pattern) => {
    if (!pattern.includes("*")) return `${prefix}.*.${pattern}`;
    const head = pattern.slice(0, -2);
    if (pattern.endsWith(".*") && !head.includes("*")) return `${prefix}.*.${head}.>`;
    return `${prefix}.*.>`;
  });
}

/**
 * A durable pull consumer on the sink's stream feeding the router: one event at a time, acknowledged (and the ack
 * confirmed by the server) only after every handler succeeded; a failure is redelivered after a back-off until the
 * `maxDeliver`-th delivery, which is published to the dead-letter subject and terminated.
 * https://docs.nats.io/nats-concepts/jetstream/consumers
 */
export async function createJetStreamConsumer(options: JetStreamConsumerOptions): Promise<JetStreamConsumer> {
  const nats = loadNats("createJetStreamConsumer");
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const patterns = options.filter === undefined ? undefined : typeof options.filter === "string" ? [options.filter] : [...options.filter];
  const matches = patterns === undefined ? () => true : typeMatcher(patterns);
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const deadLetterSubject = options.deadLetterSubject ?? `${prefix}_dead_letter.${options.durable}`;
  const servers = typeof options.servers === "string" ? options.servers : [...options.servers];

  const nc = await nats.transport.connect({ servers, name: `convotic consumer ${options.durable}`, maxReconnectAttempts: -1 });
  const stats: JetStreamConsumerStats = { handled: 0, failed: 0, deadLettered: 0, skipped: 0 };
  let messages: Awaited<ReturnType<Awaited<ReturnType<ReturnType<typeof nats.jetstream.jetstream>["consumers"]["get"]>>["consume"]>>;
  const js = nats.jetstream.jetstream(nc);
  try {
    const jsm = await nats.jetstream.jetstreamManager(nc);
    const filters = subjectFilters(prefix, patterns);
    const config = {
      durable_name: options.durable,
      ack_policy: nats.jetstream.AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
      ...(filters.length === 1 ? { filter_subject: filters[0]! } : { filter_subjects: filters }),
    };
    const existing = await jsm.consumers.info(options.stream, options.durable).catch(() => undefined);
    if (existing === undefined) await jsm.consumers.add(options.stream, config);
    else await jsm.consumers.update(options.stream, options.durable, { ack_wait: config.ack_wait, max_deliver: maxDeliver });
    const consumer = await js.consumers.get(options.stream, options.durable);
    messages = await consumer.consume({ max_messages: options.maxMessages ?? 32 });
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }

  let closing = false;
  const deadLetter = async (data: Uint8Array, subject: string, seq: number, id: string | undefined, reason: string) => {
    const headers = nats.transport.headers();
    headers.set("Convotic-Original-Subject", subject);
    headers.set("Convotic-Stream-Sequence", String(seq));
    headers.set("Convotic-Failure", reason.replace(/[\r\n]+/g, " ").slice(0, 512));
    try {
      // a stream capturing the subject makes the dead letter durable (and deduplicated by the same id)
      await js.publish(deadLetterSubject, data, { headers, ...(id === undefined ? {} : { msgID: `dead-letter:${options.durable}:${id}` }) });
    } catch {
      nc.publish(deadLetterSubject, data, { headers });
      await nc.flush();
    }
  };

  const run = async () => {
    for await (const message of messages) {
      if (closing) {
        // pulled but not handled: give it back now rather than after ack-wait
        message.nak();
        continue;
      }
      const delivery = message.info.deliveryCount;
      let id: string | undefined;
      try {
        const parsed = UnifiedEventSchema.safeParse(message.json());
        if (!parsed.success) throw new PoisonError("not a Convotic envelope");
        const event = parsed.data as UnifiedEvent;
        id = event.id;
        if (!matches(event.type)) {
          stats.skipped += 1;
          await message.ackAck();
          continue;
        }
        await options.router.dispatch(event);
        await message.ackAck();
        stats.handled += 1;
      } catch (error) {
        stats.failed += 1;
        const poison = error instanceof PoisonError || error instanceof SyntaxError;
        const last = poison || delivery >= maxDeliver;
        options.onError?.(error, { ...(id === undefined ? {} : { id }), delivery, deadLettered: last });
        if (!last) {
          message.nak(Math.min(ackWaitMs, 250 * 2 ** (delivery - 1)));
          continue;
        }
        try {
          await deadLetter(message.data, message.subject, message.seq, id, messageOf(error));
          stats.deadLettered += 1;
          message.term(messageOf(error).slice(0, 100));
        } catch (publishError) {
          // cannot park it: leave it for redelivery after ack-wait rather than lose it
          options.onError?.(publishError, { ...(id === undefined ? {} : { id }), delivery, deadLettered: false });
        }
      }
    }
  };
  const done = run().catch(() => undefined);

  return {
    stats,
    done,
    async close(signal = AbortSignal.timeout(DEFAULT_CLOSE_MS)) {
      if (!closing) {
        closing = true;
        await messages.close().catch(() => undefined);
      }
      const aborted = new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await Promise.race([done, aborted]);
      await Promise.race([nc.drain().catch(() => undefined), aborted]);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    },
  };
}

class PoisonError extends Error {}
