import { ConfigError, messageOf } from "../../core";
import type { NatsConnectionLike } from "./nats-client";
import { nanos } from "./nats-client";

type Manager = NatsConnectionLike["manager"];

/** What `ensureStream` needs of the sink's config. */
export interface StreamSettings {
  readonly subject_prefix: string;
  readonly stream: {
    readonly name: string;
    readonly subjects?: readonly string[] | undefined;
    readonly retention: "limits" | "interest" | "workqueue";
    readonly storage: "file" | "memory";
    readonly max_age?: number | undefined;
    readonly duplicate_window: number;
    readonly replicas: number;
    readonly manage: boolean;
  };
}

/** Creates the stream, or updates the settings the config names when it exists (several instances may race). */
export async function ensureStream(manager: Manager, config: StreamSettings): Promise<void> {
  const { stream } = config;
  const wanted = {
    subjects: [...(stream.subjects ?? [`${config.subject_prefix}.>`])],
    retention: stream.retention,
    storage: stream.storage,
    max_age: stream.max_age === undefined ? 0 : nanos(stream.max_age),
    duplicate_window: nanos(stream.duplicate_window),
    num_replicas: stream.replicas,
  };
  const existing = await manager.streams.info(stream.name).catch((error: unknown) => {
    if (isStreamNotFound(error)) return undefined;
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
    throw new ConfigError(
      `stream ${stream.name} exists with another retention or storage; change it with the nats CLI or rename the stream`,
    );
  }
  if (differs) await manager.streams.update(stream.name, { ...wanted });
}

export function isStreamNotFound(error: unknown): boolean {
  return (error instanceof Error && error.name === "StreamNotFoundError") || /stream not found/i.test(messageOf(error));
}

/** The client's name for a request nobody answered (503 no responders): it says "jetstream is not enabled". */
function isNoResponders(error: unknown): boolean {
  return (
    (error instanceof Error && error.name === "JetStreamNotEnabled") ||
    /no responders|not enabled/i.test(messageOf(error))
  );
}

function isTimeout(error: unknown): boolean {
  return (error instanceof Error && error.name === "TimeoutError") || /^timeout$/i.test(messageOf(error));
}

/** What a failed publish means, found by asking the server about the stream. */
export interface Diagnosis {
  /** in words a person reads in a log: "stream X has no leader", not the client's "jetstream is not enabled" */
  readonly problem: string;
  /** the stream is gone (a NATS restart lost a memory stream): the sink should create it again */
  readonly missing: boolean;
}

/**
 * Turns a failed publish into what happened. A publish that nobody answered (the client reports "jetstream is not
 * enabled" for any "no responders") may mean a missing stream, a stream without a leader during an election, or
 * a server without JetStream: one stream-info request tells them apart.
 * https://docs.nats.io/reference/reference-protocols/nats_api_reference#error-handling
 */
export async function diagnosePublish(
  manager: Manager,
  config: StreamSettings,
  error: unknown,
  timeoutMs: number,
): Promise<Diagnosis> {
  const name = config.stream.name;
  if (isTimeout(error))
    return { problem: `stream ${name} did not acknowledge a publish within ${timeoutMs} ms`, missing: false };
  if (!isNoResponders(error))
    return { problem: `publish to stream ${name} failed: ${messageOf(error)}`, missing: false };
  try {
    const info = await manager.streams.info(name);
    if (info.cluster !== undefined && info.cluster.leader === undefined)
      return { problem: `stream ${name} has no leader`, missing: false };
    return {
      problem: `stream ${name} has no leader or does not listen on the published subject (nobody answered the publish)`,
      missing: false,
    };
  } catch (infoError) {
    if (isStreamNotFound(infoError)) {
      return config.stream.manage
        ? { problem: `stream ${name} not found; re-creating`, missing: true }
        : { problem: `stream ${name} not found (manage: false: create it with the nats CLI)`, missing: false };
    }
    if (isNoResponders(infoError))
      return { problem: "JetStream not enabled on the server, or its cluster has no meta leader", missing: false };
    if (isTimeout(infoError))
      return {
        problem: `stream ${name} has no leader (stream info unanswered within ${timeoutMs} ms)`,
        missing: false,
      };
    return { problem: `stream ${name}: ${messageOf(infoError)}`, missing: false };
  }
}

/**
 * When the next attempt to re-create a stream may run: exponential from `baseMs` to `maxMs`, each delay jittered
 * down to half so that several instances do not retry in step.
 */
export class Backoff {
  private attempts = 0;
  private notBefore = 0;

  constructor(
    private readonly baseMs = 200,
    private readonly maxMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** ms until an attempt may run (0: now) */
  wait(): number {
    return Math.max(0, this.notBefore - this.now());
  }

  failed(): void {
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** this.attempts);
    this.attempts += 1;
    this.notBefore = this.now() + delay * (0.5 + Math.random() / 2);
  }

  succeeded(): void {
    this.attempts = 0;
    this.notBefore = 0;
  }
}
