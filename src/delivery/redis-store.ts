import { createHash } from "node:crypto";
import { ConfigError, messageOf } from "../core";
import { newToken, StoreUnavailableError, type Claim, type IdempotencyStore } from "./store";

/**
 * The few commands the store sends. An `ioredis` `Redis` or `Cluster` fits; so does any client with the same
 * calls. Declared here so that the package's types never name `ioredis`, an optional peer.
 */
export interface RedisClientLike {
  set(key: string, value: string, mode: "PX", milliseconds: number): Promise<unknown>;
  eval(script: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  evalsha(sha1: string, numberOfKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  /** answers PONG while the server is reachable */
  ping?(): Promise<unknown>;
  /** drops the connection at once, also while it is reconnecting (where `quit` would wait) */
  disconnect?(): void;
}

export const DEFAULT_KEY_PREFIX = "convotic:idem:";
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2000;

export type RedisStoreOptions = {
  /** prepended to every key (default `convotic:idem:`), so several deployments can share one Redis */
  readonly keyPrefix?: string;
  /** where store warnings go (connection errors of a client the store opened) */
  readonly onError?: (error: unknown) => void;
} & (
  | { readonly client: RedisClientLike; readonly url?: never }
  | {
      /** `redis://[:password@]host:port/db`; the store opens (and closes) the connection itself */
      readonly url: string;
      /** how long a command may wait before it fails (default 2000 ms) */
      readonly commandTimeoutMs?: number;
      readonly client?: never;
    }
);

// SET NX PX takes the claim; when it is taken, one more read says whether it is done or held.
const CLAIM = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == 'done' then return 2 end
return 3`;
// Deletes the claim only if our token still holds it: an expired claim taken by another instance is theirs.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const DONE = "done";

interface Script {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): Script {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

type IoRedisModule = typeof import("ioredis");

/** Loads `ioredis` only when a store is opened from a URL: a user who never configures Redis never loads it. */
function openClient(url: string, commandTimeoutMs: number, onError: (error: unknown) => void): RedisClientLike {
  let module: IoRedisModule;
  try {
    module = require("ioredis") as IoRedisModule;
  } catch (error) {
    throw new ConfigError(`the redis idempotency store needs the ioredis package (npm install ioredis): ${messageOf(error)}`);
  }
  const client = new module.Redis(url, {
    // fail a command instead of queueing it for ever while Redis is down: the edge then answers 503
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
  });
  client.on("error", onError);
  return client;
}

/**
 * Shared idempotency across instances: claims are `SET key claim:<token> NX PX lease`, a commit overwrites the
 * value with `done` and the redelivery window as TTL, a release deletes the key only if the token still holds it.
 */
export class RedisStore implements IdempotencyStore {
  readonly kind = "redis";
  readonly keyPrefix: string;
  private readonly client: RedisClientLike;
  private readonly owned: boolean;
  private readonly claimScript = script(CLAIM);
  private readonly releaseScript = script(RELEASE);
  private closed = false;
  private readonly counts = { claims: 0, commits: 0, releases: 0, errors: 0 };

  constructor(options: RedisStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const onError = options.onError ?? (() => undefined);
    if (options.client !== undefined) {
      this.client = options.client;
      this.owned = false;
    } else {
      this.client = openClient(options.url, options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS, onError);
      this.owned = true;
    }
  }

  /** A PING within the command timeout: what `/readyz` asks before a load balancer sends traffic. */
  async ready(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError(this.kind, new Error("it is closed"));
    if (this.client.ping === undefined) return;
    try {
      await this.client.ping();
    } catch (cause) {
      throw new StoreUnavailableError(this.kind, cause);
    }
  }

  async claim(key: string, leaseMs: number): Promise<Claim> {
    this.counts.claims += 1;
    const token = `claim:${newToken()}`;
    const answer = await this.run(this.claimScript, this.keyPrefix + key, token, Math.max(1, Math.ceil(leaseMs)));
    if (answer === 1) return { state: "yours", token };
    return answer === 2 ? { state: "done" } : { state: "in_flight" };
  }

  async commit(key: string, _token: string, ttlMs: number): Promise<void> {
    this.counts.commits += 1;
    await this.guard(() => this.client.set(this.keyPrefix + key, DONE, "PX", Math.max(1, Math.ceil(ttlMs))));
  }

  async release(key: string, token: string): Promise<void> {
    this.counts.releases += 1;
    await this.run(this.releaseScript, this.keyPrefix + key, token);
  }

  stats(): Readonly<Record<string, number | string>> {
    return { kind: "redis", key_prefix: this.keyPrefix, ...this.counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned) return;
    const client = this.client;
    // QUIT lets pending replies arrive; a client that cannot reach Redis would wait for ever, so it is cut after 1 s
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
    await Promise.race([client.quit().catch(() => undefined), cut]);
    clearTimeout(timer);
    client.disconnect?.();
  }

  /** EVALSHA, falling back to EVAL once when the server does not know the script yet (a restart, a failover). */
  private async run(source: Script, key: string, ...args: (string | number)[]): Promise<unknown> {
    return this.guard(async () => {
      try {
        return await this.client.evalsha(source.sha1, 1, key, ...args);
      } catch (error) {
        if (!messageOf(error).startsWith("NOSCRIPT")) throw error;
        return this.client.eval(source.source, 1, key, ...args);
      }
    });
  }

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.counts.errors += 1;
      throw new StoreUnavailableError(this.kind, error);
    }
  }
}
