import { z } from "zod";
import { ConfigError, messageOf } from "../../core";
import { Duration } from "../config";
import type { Sink, SinkBatch } from "../sink";
import { hasCredentials } from "./credentials";
import { SinkUnavailableError } from "./errors";
import { filterOf, SinkFilter, type SkipCounts } from "./render";
import type { NatsModules, NatsConnectionLike } from "./nats-client";
import { loadNats, nanos } from "./nats-client";

export const DEFAULT_SUBJECT_PREFIX = "convotic";
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

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
const NatsServer = z.string().min(1).refine((url) => !hasCredentials(url), {
  message: 'credentials in the URL are refused (they would be written to logs); use "token": "${NATS_TOKEN}" or "user" and "password": "${NATS_PASSWORD}"',
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

/**
 * Publishes each envelope to JetStream with its event id as `Nats-Msg-Id`, so the stream's duplicate window drops a
 * second copy even when two instances publish the same event. `write()` resolves only after the stream acknowledged
 * every event of the batch (https://docs.nats.io/using-nats/developer/develop_jetstream/model_deep_dive#message-deduplication).
 */
export class JetStreamSink implements Sink {
  readonly name: string;
  readonly skipped: SkipCounts = { filtered: 0, unprojected: 0 };
  readonly counts = { published: 0, duplicates: 0, failures: 0 };
  private readonly config: ParsedConfig;
  private readonly matches: ReturnType<typeof filterOf>;
  private connecting: Promise<{ nats: NatsModules; connection: NatsConnectionLike }> | undefined;
  private closed = false;

  constructor(config: JetStreamSinkConfig) {
    const parsed = JetStreamSinkConfig.safeParse(config);
    if (!parsed.success) throw new ConfigError(`jetstream sink: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
    this.name = this.config.name ?? `jetstream:${this.config.stream.name}`;
    this.matches = filterOf(this.config.filter);
  }

  get stream(): string {
    return this.config.stream.name;
  }

  subjectFor(workspaceId: string, type: string): string {
    return subjectOf(this.config.subject_prefix, workspaceId, type);
  }

  async write(batch: SinkBatch, signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkUnavailableError(this.name, "closed");
    const events = batch.events.filter((event) => {
      const keep = this.matches(event.type);
      if (!keep) this.skipped.filtered += 1;
      return keep;
    });
    if (events.length === 0) return;
    const { connection } = await this.connect();
    signal.throwIfAborted();
    const js = connection.jetstream;
    try {
      const acks = await Promise.all(
        events.map((event) =>
          js.publish(this.subjectFor(event.workspace_id, event.type), JSON.stringify(event), {
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
    } catch (error) {
      this.counts.failures += 1;
      throw new SinkUnavailableError(this.name, `publish not acknowledged by stream ${this.stream}: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Connected, and the stream answers its info request. */
  async ready(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const { connection } = await this.connect();
      await connection.manager.streams.info(this.config.stream.name);
      return true;
    } catch {
      return false;
    }
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

  /** One connection per sink, opened on first use; a failed attempt is forgotten so the next request retries. */
  private connect(): Promise<{ nats: NatsModules; connection: NatsConnectionLike }> {
    if (this.connecting === undefined) {
      const attempt = this.open();
      this.connecting = attempt;
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
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
      });
    } catch (error) {
      throw new SinkUnavailableError(this.name, `cannot connect to NATS: ${messageOf(error)}`, { cause: error });
    }
    try {
      const manager = await nats.jetstream.jetstreamManager(nc, { timeout: this.config.publish_timeout });
      if (this.config.stream.manage) await ensureStream(manager, this.config);
      return { nats, connection: { nc, manager, jetstream: nats.jetstream.jetstream(nc, { timeout: this.config.publish_timeout }) } };
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw new SinkUnavailableError(this.name, `stream ${this.config.stream.name}: ${messageOf(error)}`, { cause: error });
    }
  }
}

type Manager = NatsConnectionLike["manager"];

/** Creates the stream, or updates the settings the config names when it exists (several instances may race). */
async function ensureStream(manager: Manager, config: ParsedConfig): Promise<void> {
  const { stream } = config;
  const wanted = {
    subjects: stream.subjects ?? [`${config.subject_prefix}.>`],
    retention: stream.retention,
    storage: stream.storage,
    max_age: stream.max_age === undefined ? 0 : nanos(stream.max_age),
    duplicate_window: nanos(stream.duplicate_window),
    num_replicas: stream.replicas,
  };
  const existing = await manager.streams.info(stream.name).catch((error: unknown) => {
    if (/not found/i.test(messageOf(error))) return undefined;
    throw error;
  });
  if (existing === undefined) {
    try {
      await manager.streams.add({ name: stream.name, ...wanted });
      return;
    } catch (error) {
      // another instance created it between our info and add: fall through to the comparison
      if (!/already in use|exists/i.test(messageOf(error))) throw error;
    }
  }
  const current = existing?.config ?? (await manager.streams.info(stream.name)).config;
  const differs =
    JSON.stringify([...current.subjects].sort()) !== JSON.stringify([...wanted.subjects].sort()) ||
    current.max_age !== wanted.max_age ||
    current.duplicate_window !== wanted.duplicate_window ||
    current.num_replicas !== wanted.num_replicas;
  if (current.retention !== wanted.retention || current.storage !== wanted.storage) {
    // JetStream cannot change these on a live stream: say so rather than publish under settings the config denies
    throw new ConfigError(`stream ${stream.name} exists with another retention or storage; change it with the nats CLI or rename the stream`);
  }
  if (differs) await manager.streams.update(stream.name, { ...wanted });
}
