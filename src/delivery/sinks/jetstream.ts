import { z } from "zod";
import { ConfigError, messageOf } from "../../core";
import { Duration } from "../duration";
import { DependencyHealth, markReported } from "../dependency-health";
import type { Sink, SinkBatch } from "../sink";
import { hasCredentials } from "./credentials";
import { SinkUnavailableError } from "./errors";
import { Backoff, diagnosePublish, ensureStream, isStreamNotFound, type Diagnosis } from "./jetstream-stream";
import type { SinkDefinition } from "./contract";
import { filterOf, SinkFilter, type SkipCounts } from "./render";
import type { NatsModules, NatsConnectionLike } from "./nats-client";
import { loadNats } from "./nats-client";
import { MAX_PARTITIONS, orderKeyOf, partitionOf, partitionToken } from "../partitions";
import type { UnifiedEvent } from "../../core";

export const DEFAULT_SUBJECT_PREFIX = "convotic";
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
/** below the shortest request deadline of a platform (LINE's 1.5 s), so a slow stream is a 503, not a deadline */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 1_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
/** a diagnosis of a failed publish is reused this long: an outage costs one stream-info request per interval, not per request */
const DIAGNOSIS_REUSE_MS = 500;

/** A NATS subject token: letters, digits, `_` and `-` (the prefix cannot smuggle in wildcards or dots). */
const Token = z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only");

/** The stream the sink publishes into; created when missing and updated when its settings differ. */
export const JetStreamStreamConfig = z.strictObject({
  name: Token,
  /** defaults to `["<subject_prefix>.>"]` */
  subjects: z.array(z.string().min(1)).min(1).optional(),
  /** https://docs.nats.io/nats-concepts/jetstream/streams#retentionpolicy */
  retention: z.enum(["limits", "interest", "workqueue"]).default("limits"),
  /** how long events stay in the stream; absent means unlimited */
  max_age: Duration.optional(),
  /** how long JetStream remembers a `Nats-Msg-Id` to drop a duplicate (default 2 m, the server's own default) */
  duplicate_window: Duration.default(DEFAULT_DUPLICATE_WINDOW_MS),
  /** copies kept by a clustered server (1 for a single server; 3 or 5 in a cluster) */
  replicas: z.int().min(1).max(5).default(1),
  storage: z.enum(["file", "memory"]).default("file"),
  /** `false`: the stream must exist already (managed elsewhere); the sink never creates or updates it */
  manage: z.boolean().default(true),
});

/** A server URL without credentials: they would be written wherever the URL is (errors, logs). */
const NatsServer = z
  .string()
  .min(1)
  .refine((url) => !hasCredentials(url), {
    message:
      'credentials in the URL are refused (they would be written to logs); use "token": "${NATS_TOKEN}" or "user" and "password": "${NATS_PASSWORD}"',
  });

export const JetStreamSinkConfig = z.strictObject({
  kind: z.literal("jetstream"),
  name: z.string().min(1).optional(),
  /** `nats://host:port`, one or several (a cluster); credentials go in `token` or `user` and `password`, not here */
  servers: z.union([NatsServer, z.array(NatsServer).min(1)]),
  /** NATS token authentication (https://docs.nats.io/running-a-nats-service/configuration/securing_nats/auth_intro/tokens), e.g. `"${NATS_TOKEN}"` */
  token: z.string().min(1).optional(),
  /** NATS user and password authentication, e.g. `"password": "${NATS_PASSWORD}"` */
  user: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  subject_prefix: Token.default(DEFAULT_SUBJECT_PREFIX),
  /**
   * partition token from the conversation (or contact) in the subject, `<prefix>.p<NN>.<workspace>.<type>`, for
   * consumers that keep each conversation in order (`createJetStreamConsumer({ ordered })`, docs/scaling.md)
   */
  partitions: z.int().min(1).max(MAX_PARTITIONS).optional(),
  filter: SinkFilter.optional(),
  stream: JetStreamStreamConfig,
  /** how long one publish waits for the stream's acknowledgement */
  publish_timeout: Duration.default(DEFAULT_PUBLISH_TIMEOUT_MS),
  connect_timeout: Duration.default(DEFAULT_CONNECT_TIMEOUT_MS),
});
export type JetStreamSinkConfig = z.input<typeof JetStreamSinkConfig>;
type ParsedConfig = z.output<typeof JetStreamSinkConfig>;

/**
 * Escapes a value for use as ONE subject token: every UTF-8 byte outside `[A-Za-z0-9_-]` becomes `%HH` (upper-case
 * hex), so `.`, `*`, `>`, whitespace and `%` itself can never split a token or act as a wildcard, and the mapping is
 * reversible (`unescapeSubjectToken`). https://docs.nats.io/nats-concepts/subjects#characters-allowed-and-recommended-for-subject-names
 */
export function escapeSubjectToken(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function unescapeSubjectToken(token: string): string {
  return decodeURIComponent(token);
}

/** `<prefix>.<escaped workspace_id>.<type>`: event types are dot-separated lower-case words already. */
export function subjectOf(prefix: string, workspaceId: string, type: string): string {
  return `${prefix}.${escapeSubjectToken(workspaceId)}.${type}`;
}

/** With `partitions`: `<prefix>.p<NN>.<escaped workspace_id>.<type>`, the partition of the event's conversation. */
export function partitionedSubjectOf(prefix: string, partitions: number, event: UnifiedEvent): string {
  const token = partitionToken(partitionOf(orderKeyOf(event), partitions), partitions);
  return `${prefix}.${token}.${escapeSubjectToken(event.workspace_id)}.${event.type}`;
}

/**
 * Publishes each envelope to JetStream with its event id as `Nats-Msg-Id`, so the stream's duplicate window drops a
 * second copy even when two instances publish the same event. `write()` resolves only after the stream acknowledged
 * every event of the batch (https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive#message-deduplication).
 */
export class JetStreamSink implements Sink {
  readonly name: string;
  readonly skipped: SkipCounts = { filtered: 0, unprojected: 0 };
  readonly counts = { published: 0, duplicates: 0, failures: 0, recreated: 0 };
  /** the stream as this sink last saw it; serve attaches its logger (one line per outage interval) */
  readonly health: DependencyHealth;
  private readonly config: ParsedConfig;
  private readonly matches: ReturnType<typeof filterOf>;
  private connecting: Promise<{ nats: NatsModules; connection: NatsConnectionLike }> | undefined;
  private closed = false;
  /** the stream was found missing (a NATS restart lost it): create it again before the next publish */
  private missing = false;
  private readonly recreate = new Backoff();
  private readonly reopen = new Backoff();
  private lastOpenError: unknown;
  private ensuring: Promise<void> | undefined;
  private diagnosis: { at: number; pending: Promise<Diagnosis> } | undefined;

  constructor(config: JetStreamSinkConfig) {
    const parsed = JetStreamSinkConfig.safeParse(config);
    if (!parsed.success) throw new ConfigError(`jetstream sink: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.name = this.config.name ?? jetstreamSink.defaultName(this.config);
    this.matches = filterOf(this.config.filter);
    this.health = new DependencyHealth(`sink ${this.name}`);
  }

  get stream(): string {
    return this.config.stream.name;
  }

  /** the parsed settings (timeouts in ms), for start-up warnings */
  get settings(): {
    readonly publishTimeoutMs: number;
    readonly connectTimeoutMs: number;
    readonly storage: "file" | "memory";
    readonly manage: boolean;
  } {
    const { publish_timeout, connect_timeout, stream } = this.config;
    return {
      publishTimeoutMs: publish_timeout,
      connectTimeoutMs: connect_timeout,
      storage: stream.storage,
      manage: stream.manage,
    };
  }

  subjectFor(workspaceId: string, type: string): string {
    return subjectOf(this.config.subject_prefix, workspaceId, type);
  }

  /** where `event` is published: partitioned by its conversation when `partitions` is set */
  subjectOfEvent(event: UnifiedEvent): string {
    const { partitions, subject_prefix } = this.config;
    return partitions === undefined
      ? subjectOf(subject_prefix, event.workspace_id, event.type)
      : partitionedSubjectOf(subject_prefix, partitions, event);
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    const events = batch.events.filter((event) => {
      const keep = this.matches(event.type);
      if (!keep) this.skipped.filtered += 1;
      return keep;
    });
    if (events.length === 0) return;
    const { connection } = await this.connect().catch((error: unknown) =>
      this.fail(messageOf(error).replace(`sink ${this.name}: `, ""), error),
    );
    signal.throwIfAborted();
    if (this.missing)
      await this.heal(connection).catch((error: unknown) =>
        this.fail(`stream ${this.stream} not found; re-creating: ${messageOf(error)}`, error),
      );
    const js = connection.jetstream;
    try {
      const acks = await Promise.all(
        events.map((event) =>
          js.publish(this.subjectOfEvent(event), JSON.stringify(event), {
            msgID: event.id,
            expect: { streamName: this.config.stream.name },
            timeout: this.config.publish_timeout,
          }),
        ),
      );
      for (const ack of acks) {
        if (ack.duplicate) this.counts.duplicates += 1;
        else this.counts.published += 1;
      }
      this.health.recovered();
    } catch (error) {
      this.counts.failures += 1;
      const { problem, missing } = await this.diagnose(connection, error);
      if (missing) this.missing = true;
      this.fail(problem, error);
    }
  }

  /** Connected, and the stream answers its info request; a missing stream is created again (with backoff). */
  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const { connection } = await this.connect();
      if (this.missing) await this.heal(connection);
      try {
        await connection.manager.streams.info(this.config.stream.name);
      } catch (error) {
        if (!this.config.stream.manage || !isStreamNotFound(error)) throw error;
        this.missing = true;
        this.health.failed(`stream ${this.stream} not found; re-creating`);
        await this.heal(connection);
      }
      return true;
    } catch {
      return false;
    }
  }

  /** Counts and logs (through `health`) why the stream cannot take the batch, and refuses it: 503. */
  private fail(problem: string, cause: unknown): never {
    this.health.failed(problem);
    throw markReported(new SinkUnavailableError(this.name, problem, { cause }));
  }

  /** One diagnosis at a time, reused briefly: hundreds of failing requests a second ask the server once. */
  private diagnose(connection: NatsConnectionLike, error: unknown): Promise<Diagnosis> {
    const now = Date.now();
    if (this.diagnosis === undefined || now - this.diagnosis.at > DIAGNOSIS_REUSE_MS) {
      this.diagnosis = {
        at: now,
        pending: diagnosePublish(connection.manager, this.config, error, this.config.publish_timeout),
      };
    }
    return this.diagnosis.pending;
  }

  /** Creates the lost stream again: one attempt at a time, and not before the backoff allows. */
  private heal(connection: NatsConnectionLike): Promise<void> {
    if (this.ensuring !== undefined) return this.ensuring;
    const wait = this.recreate.wait();
    if (wait > 0) return Promise.reject(new Error(`next attempt in ${Math.ceil(wait)} ms`));
    const attempt = ensureStream(connection.manager, this.config).then(
      () => {
        this.missing = false;
        this.counts.recreated += 1;
        this.recreate.succeeded();
        this.health.recovered();
      },
      (error: unknown) => {
        this.recreate.failed();
        throw error;
      },
    );
    this.ensuring = attempt;
    const forget = () => {
      if (this.ensuring === attempt) this.ensuring = undefined;
    };
    attempt.then(forget, forget);
    return attempt;
  }

  async close(signal: AbortSignal): Promise<void> {
    this.closed = true;
    const pending = this.connecting;
    this.connecting = undefined;
    if (pending === undefined) return;
    const connection = await pending.then((value) => value.connection).catch(() => undefined);
    if (connection === undefined) return;
    // drain flushes what is in flight; a connection that cannot drain in time is closed
    await Promise.race([
      connection.nc.drain().catch(() => undefined),
      new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
    ]);
    if (!connection.nc.isClosed()) await connection.nc.close().catch(() => undefined);
  }

  /** One connection per sink, opened on first use; after a failed attempt the next one waits for a jittered backoff. */
  private connect(): Promise<{ nats: NatsModules; connection: NatsConnectionLike }> {
    if (this.connecting === undefined) {
      // NATS unreachable at start: the next attempt waits for the backoff, so a flood of requests is not a flood of connects
      const wait = this.reopen.wait();
      if (wait > 0 && this.lastOpenError !== undefined) return Promise.reject(this.lastOpenError);
      const attempt = this.open();
      this.connecting = attempt;
      attempt.then(
        () => this.reopen.succeeded(),
        (error: unknown) => {
          this.lastOpenError = error;
          this.reopen.failed();
          if (this.connecting === attempt) this.connecting = undefined;
        },
      );
    }
    return this.connecting;
  }

  private async open(): Promise<{ nats: NatsModules; connection: NatsConnectionLike }> {
    const nats = loadNats(`the jetstream sink`);
    let nc;
    try {
      nc = await nats.transport.connect({
        servers: this.config.servers,
        timeout: this.config.connect_timeout,
        name: `convotic ${this.name}`,
        ...(this.config.token === undefined ? {} : { token: this.config.token }),
        ...(this.config.user === undefined ? {} : { user: this.config.user }),
        ...(this.config.password === undefined ? {} : { pass: this.config.password }),
        // keep reconnecting for ever: a NATS restart must not need a serve restart
        maxReconnectAttempts: -1,
        // a restarted server is found within a quarter second (the client's default waits 2 s between attempts)
        reconnectTimeWait: 250,
      });
    } catch (error) {
      throw new SinkUnavailableError(this.name, `cannot connect to NATS: ${messageOf(error)}`, { cause: error });
    }
    try {
      const manager = await nats.jetstream.jetstreamManager(nc, { timeout: this.config.publish_timeout });
      if (this.config.stream.manage) await ensureStream(manager, this.config);
      return {
        nats,
        connection: { nc, manager, jetstream: nats.jetstream.jetstream(nc, { timeout: this.config.publish_timeout }) },
      };
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw new SinkUnavailableError(this.name, `stream ${this.config.stream.name}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
}

/** `{ kind: "jetstream", servers, stream }`: envelopes published to a NATS JetStream stream. */
export const jetstreamSink: SinkDefinition<typeof JetStreamSinkConfig> = {
  config: JetStreamSinkConfig,
  defaultName: (config) => `jetstream:${config.stream.name}`,
  create: (config) => new JetStreamSink(config),
};
