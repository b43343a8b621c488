import { ConfigError, messageOf, typeMatcher, UnifiedEventSchema, type UnifiedEvent } from "../core";
import { ConversationQueue } from "./conversation-queue";
import { checkOrdered, type JetStreamOrderedOptions } from "./jetstream-ordered";
import { orderKeyOf, partitionToken } from "./partitions";
import { DEFAULT_SUBJECT_PREFIX } from "./sinks/jetstream";
import { loadNats, nanos } from "./sinks/nats-client";
import type { IdempotencyStore } from "./store";

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;
const DEFAULT_CLOSE_MS = 10_000;

export interface JetStreamConsumerOptions {
  /** `nats://host:port`, one or several */
  readonly servers: string | readonly string[];
  /** NATS credentials (the jetstream sink's `token`, or `user` and `password`), never in the server URLs */
  readonly auth?: {
    readonly token?: string | undefined;
    readonly user?: string | undefined;
    readonly password?: string | undefined;
  };
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
  /**
   * Handling by event id across crashes. Without it the consumer is at least once across a crash: a consumer killed
   * after handling an event and before the server confirmed its ack gets that event again after ack-wait. With it,
   * each message is **claimed** in the store (key `<keyPrefix><event id>`, lease `leaseMs`) before the router sees
   * it and **committed** after the router succeeded, then acknowledged: an event committed already is acknowledged
   * without handling (`stats.duplicates`); one claimed by a live or killed consumer and not committed is nak'd until
   * the claim's lease ends. One window remains: a crash after the router succeeded and before the commit reached the
   * store (one store round trip) leaves the claim to expire, and the event is handled again after the lease. Handlers
   * that must never run twice are idempotent by event id; this option makes that window one round trip wide.
   */
  readonly idempotency?: {
    /** the serve store contract: the Redis store shares claims between consumers of one durable on several machines */
    readonly store: IdempotencyStore;
    /**
     * how long a claim holds an event; default the ack-wait, so an event a killed consumer held is handled after
     * at most about one ack-wait plus one lease. A handler slower than the lease may run twice, as it would anyway
     * once ack-wait passes.
     */
    readonly leaseMs?: number;
    /** how long a committed event id is remembered; default max(1 h, ack-wait × (max-deliver + 1)), beyond any redelivery */
    readonly ttlMs?: number;
    /** default `convotic:consume:<stream>:<durable>:`, so every durable handles each event once */
    readonly keyPrefix?: string;
  };
  /**
   * One conversation in order across consumer processes (docs/scaling.md): the sink publishes with the same
   * `partitions`, and each partition gets a durable consumer of its own, `<durable>-p<NN>`, filtered to its subject
   * token. Events of one conversation (or contact) are handled one at a time in stream order; other conversations
   * run concurrently.
   */
  readonly ordered?: JetStreamOrderedOptions;
  /** each failure: a handler error (will be redelivered or dead-lettered) or a dead-letter publish that failed */
  readonly onError?: (
    error: unknown,
    context: { readonly id?: string; readonly delivery: number; readonly deadLettered: boolean },
  ) => void;
}

export interface JetStreamConsumerStats {
  handled: number;
  failed: number;
  deadLettered: number;
  skipped: number;
  /** events acknowledged without handling: the idempotency store says they were handled already */
  duplicates: number;
  /** deliveries given back because another consumer holds the event's claim */
  held: number;
}

export interface JetStreamConsumer {
  readonly stats: JetStreamConsumerStats;
  /**
   * Stops pulling, handles what was already delivered to it (at most `maxMessages`) while the signal allows, waits
   * for the server to confirm each ack, and disconnects. What it could not handle in time stays unacknowledged and
   * is redelivered after ack-wait; it is not nak'd (nak'ing at shutdown made nats-server 2.9 deliver some events a
   * second time, see docs/scaling.md).
   */
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
 * `maxDeliver`-th delivery, which is published to the dead-letter subject and terminated. With `idempotency`, each
 * event is claimed before and committed after the router, so a restart after a SIGKILL handles it again only if the
 * kill fell between the router's success and the commit (docs/scaling.md).
 * https://docs.nats.io/nats-concepts/jetstream/consumers
 */
export async function createJetStreamConsumer(options: JetStreamConsumerOptions): Promise<JetStreamConsumer> {
  const nats = loadNats("createJetStreamConsumer");
  const prefix = options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX;
  const patterns =
    options.filter === undefined
      ? undefined
      : typeof options.filter === "string"
        ? [options.filter]
        : [...options.filter];
  const matches = patterns === undefined ? () => true : typeMatcher(patterns);
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const deadLetterSubject = options.deadLetterSubject ?? `${prefix}_dead_letter.${options.durable}`;
  const servers = typeof options.servers === "string" ? options.servers : [...options.servers];

  const { token, user, password } = options.auth ?? {};
  const credentials = {
    ...(token === undefined ? {} : { token }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { pass: password }),
  };
  const ordered = options.ordered;
  const perPartition = ordered?.maxAckPending ?? 1;
  if (ordered !== undefined) checkOrdered(ordered, perPartition);
  const nc = await nats.transport.connect({
    servers,
    name: `convotic consumer ${options.durable}`,
    maxReconnectAttempts: -1,
    ...credentials,
  });
  const stats: JetStreamConsumerStats = { handled: 0, failed: 0, deadLettered: 0, skipped: 0, duplicates: 0, held: 0 };
  const store = options.idempotency?.store;
  const leaseMs = options.idempotency?.leaseMs ?? ackWaitMs;
  const doneTtlMs = options.idempotency?.ttlMs ?? Math.max(3_600_000, ackWaitMs * (maxDeliver + 1));
  const keyPrefix = options.idempotency?.keyPrefix ?? `convotic:consume:${options.stream}:${options.durable}:`;
  type Messages = Awaited<
    ReturnType<Awaited<ReturnType<ReturnType<typeof nats.jetstream.jetstream>["consumers"]["get"]>>["consume"]>
  >;
  const pulls: Messages[] = [];
  const js = nats.jetstream.jetstream(nc);
  try {
    const jsm = await nats.jetstream.jetstreamManager(nc);
    const base = {
      ack_policy: nats.jetstream.AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
      max_deliver: maxDeliver,
    };
    // one durable per partition (ordered), or the one durable over every wanted subject
    const wanted: { name: string; config: Record<string, unknown> }[] =
      ordered === undefined
        ? [{ name: options.durable, config: subjectConfig(subjectFilters(prefix, patterns)) }]
        : (ordered.only ?? Array.from({ length: ordered.partitions }, (_, index) => index)).map((partition) => {
            const token = partitionToken(partition, ordered.partitions);
            return {
              name: `${options.durable}-${token}`,
              config: { filter_subject: `${prefix}.${token}.>`, max_ack_pending: perPartition },
            };
          });
    for (const { name, config } of wanted) {
      const existing = await jsm.consumers.info(options.stream, name).catch(() => undefined);
      const settings = { ...base, ...(ordered === undefined ? {} : { max_ack_pending: perPartition }) };
      const info =
        existing === undefined
          ? await jsm.consumers.add(options.stream, { durable_name: name, ...base, ...config })
          : await jsm.consumers.update(options.stream, name, settings);
      // nats-server 2.9 accepts fields it does not know and drops them: read back what ordering depends on
      if (ordered !== undefined && info.config.max_ack_pending !== perPartition)
        throw new ConfigError(`consumer ${name}: the server keeps max_ack_pending ${info.config.max_ack_pending}`);
    }
    for (const { name } of wanted) {
      const consumer = await js.consumers.get(options.stream, name);
      pulls.push(
        await consumer.consume({
          max_messages: options.maxMessages ?? 32,
        }),
      );
    }
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
  const queue =
    ordered === undefined ? undefined : new ConversationQueue({ reorderWindowMs: ordered.reorderWindowMs ?? 0 });

  let closing = false;
  let stopNow = false;
  const deadLetter = async (data: Uint8Array, subject: string, seq: number, id: string | undefined, reason: string) => {
    const headers = nats.transport.headers();
    headers.set("Convotic-Original-Subject", subject);
    headers.set("Convotic-Stream-Sequence", String(seq));
    headers.set("Convotic-Failure", reason.replace(/[\r\n]+/g, " ").slice(0, 512));
    try {
      // a stream capturing the subject makes the dead letter durable (and deduplicated by the same id)
      await js.publish(deadLetterSubject, data, {
        headers,
        ...(id === undefined ? {} : { msgID: `dead-letter:${options.durable}:${id}` }),
      });
    } catch {
      nc.publish(deadLetterSubject, data, { headers });
      await nc.flush();
    }
  };
  const report = (error: unknown, id: string | undefined, delivery: number, deadLettered: boolean) =>
    options.onError?.(error, { ...(id === undefined ? {} : { id }), delivery, deadLettered });

  // The ack is confirmed by the server (ackAck) before the next message: once it resolved, a restart cannot see the
  // event again. A failed confirmation after a successful handler is reported, never nak'd: the handler ran, and a
  // redelivery after ack-wait is what the idempotency store (or an idempotent handler) absorbs.
  const acknowledge = async (message: { ackAck(): Promise<boolean> }, id: string | undefined, delivery: number) => {
    try {
      await message.ackAck();
    } catch (error) {
      report(error, id, delivery, false);
    }
  };

  type Message = Messages extends AsyncIterable<infer M> ? M : never;
  const parse = (message: Message): UnifiedEvent | PoisonError | SyntaxError => {
    try {
      const parsed = UnifiedEventSchema.safeParse(message.json());
      return parsed.success ? (parsed.data as UnifiedEvent) : new PoisonError("not a Convotic envelope");
    } catch (error) {
      return error instanceof SyntaxError ? error : new PoisonError(messageOf(error));
    }
  };

  // Above one message in flight per partition, a nak would let the conversation's next message (already here) run
  // before the nak'd one comes back: such a message is retried in place instead, kept with in-progress acks.
  const inPlace = ordered !== undefined && perPartition > 1;
  const handle = async (message: Message, parsed: UnifiedEvent | Error) => {
    let delivery = message.info.deliveryCount;
    for (;;) {
      const retry = await handleOnce(message, parsed, delivery);
      if (retry === undefined || stopNow) return;
      await keep(message, retry.ms);
      if (retry.counts) delivery += 1;
    }
  };
  /** Waits `ms` holding the message: an in-progress ack each third of the ack-wait. */
  const keep = async (message: Message, ms: number) => {
    const ends = Date.now() + ms;
    while (!stopNow && Date.now() < ends) {
      message.working();
      await new Promise((resolve) => setTimeout(resolve, Math.min(ends - Date.now(), ackWaitMs / 3)));
    }
  };

  /** One attempt; in place, what to wait before the next (`counts`: a failure, counted against max-deliver). */
  const handleOnce = async (
    message: Message,
    parsed: UnifiedEvent | Error,
    delivery: number,
  ): Promise<{ ms: number; counts: boolean } | undefined> => {
    let id: string | undefined;
    let token: string | undefined;
    try {
      if (parsed instanceof Error) throw parsed;
      const event = parsed;
      id = event.id;
      if (!matches(event.type)) {
        stats.skipped += 1;
        await acknowledge(message, id, delivery);
        return undefined;
      }
      if (store !== undefined) {
        const claim = await store.claim(keyPrefix + id, leaseMs);
        if (claim.state === "done") {
          stats.duplicates += 1;
          await acknowledge(message, id, delivery);
          return undefined;
        }
        if (claim.state === "in_flight") {
          stats.held += 1;
          if (inPlace) return { ms: Math.min(leaseMs, ackWaitMs), counts: false };
          // the server would not deliver it again after the last delivery: park it rather than drop it
          if (delivery >= maxDeliver)
            throw new Error(`still claimed by another consumer at delivery ${delivery} of ${maxDeliver}`);
          // held by another consumer (or by one killed while handling it): ask again once its lease can have ended
          message.nak(leaseMs);
          return undefined;
        }
        token = claim.token;
      }
      await options.router.dispatch(event);
    } catch (error) {
      stats.failed += 1;
      if (token !== undefined)
        await store!
          .release(keyPrefix + id!, token)
          .catch((releaseError: unknown) => report(releaseError, id, delivery, false));
      const poison = error instanceof PoisonError || error instanceof SyntaxError;
      const last = poison || delivery >= maxDeliver;
      report(error, id, delivery, last);
      if (!last) {
        const backoff = Math.min(ackWaitMs, 250 * 2 ** (delivery - 1));
        if (inPlace) return { ms: backoff, counts: true };
        // a nak'd message stays pending: an ordered partition waits for it (nothing later of it is handed out)
        message.nak(backoff);
        return undefined;
      }
      try {
        await deadLetter(message.data, message.subject, message.seq, id, messageOf(error));
        stats.deadLettered += 1;
        message.term(messageOf(error).slice(0, 100));
      } catch (publishError) {
        // cannot park it: leave it for redelivery after ack-wait rather than lose it
        report(publishError, id, delivery, false);
      }
      return undefined;
    }
    stats.handled += 1;
    if (token !== undefined) {
      // a crash before this resolves is the one window where the event runs again (after the lease)
      await store!
        .commit(keyPrefix + id!, token, doneTtlMs)
        .catch((commitError: unknown) => report(commitError, id, delivery, false));
    }
    await acknowledge(message, id, delivery);
    return undefined;
  };

  // one pull loop per durable; ordered, each message joins its conversation's queue, up to the partition's limit
  const pump = async (messages: Messages) => {
    const inFlight = new Set<Promise<void>>();
    for await (const message of messages) {
      // closing: what was delivered already is still handled (and acked), until the close signal ends
      if (stopNow) break;
      const parsed = parse(message);
      if (queue === undefined || parsed instanceof Error) {
        await handle(message, parsed);
        continue;
      }
      const task = queue
        .push(orderKeyOf(parsed), Date.parse(parsed.timestamp), message.seq, () => handle(message, parsed))
        .catch(() => undefined);
      inFlight.add(task);
      void task.then(() => inFlight.delete(task));
      if (inFlight.size >= perPartition) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  };
  const run = async () => {
    await Promise.all(pulls.map((messages) => pump(messages).catch(() => undefined)));
  };
  const done = run().catch(() => undefined);

  return {
    stats,
    done,
    async close(signal = AbortSignal.timeout(DEFAULT_CLOSE_MS)) {
      const aborted = new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      if (!closing) {
        closing = true;
        // no further pulls; the iterator still yields what was delivered, then ends
        await Promise.race([Promise.all(pulls.map((messages) => messages.close().catch(() => undefined))), aborted]);
      }
      await Promise.race([done, aborted]);
      // out of time: the loop stops after the event in hand; the rest is redelivered after ack-wait
      stopNow = true;
      // drain flushes the acks already sent before the connection closes
      await Promise.race([nc.drain().catch(() => undefined), aborted]);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
    },
  };
}

class PoisonError extends Error {}

function subjectConfig(filters: readonly string[]): Record<string, unknown> {
  return filters.length === 1 ? { filter_subject: filters[0]! } : { filter_subjects: filters };
}
