import { createHash } from "node:crypto";
import { z } from "zod";
import { ConfigError, messageOf } from "../core";
import { DependencyHealth, markReported } from "./dependency-health";
import { Duration, PerPlatformDuration } from "./duration";
import { ADVANCE_LUA, type StatusOrderStore, type StatusStep, type StatusVerdict } from "./status-order";
import { newToken, StoreUnavailableError, type Claim, type IdempotencyStore, type StoreDefinition } from "./store";

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
/** below the shortest request deadline of a platform (LINE's 1.5 s): a stalled Redis is a 503, not a deadline */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;
/** claims and releases whose outcome is unknown, kept to be settled once Redis answers; beyond it their lease frees them */
const MAX_UNSETTLED = 100_000;

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
      /** how long a command may wait before it fails (default 1000 ms) */
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
    throw new ConfigError(
      `the redis idempotency store needs the ioredis package (npm install ioredis): ${messageOf(error)}`,
    );
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
export class RedisStore implements IdempotencyStore, StatusOrderStore {
  readonly kind = "redis";
  readonly keyPrefix: string;
  private readonly client: RedisClientLike;
  private readonly owned: boolean;
  private readonly claimScript = script(CLAIM);
  private readonly releaseScript = script(RELEASE);
  private readonly advanceScript = script(ADVANCE_LUA);
  private closed = false;
  private readonly counts = { claims: 0, commits: 0, releases: 0, errors: 0, healed: 0 };
  /** Redis as this store last saw it; serve attaches its logger (one line per outage interval) */
  readonly health = new DependencyHealth("idempotency store redis");
  /** how long one command may wait (known when the store opened the client itself) */
  readonly commandTimeoutMs: number | undefined;
  /**
   * Claims whose reply never came in time (Redis may have taken them: their token is kept and released once Redis
   * answers), and releases and commits that failed. Without this a stall of a few seconds blocked those events for
   * their whole lease.
   */
  private readonly unsettled = new Map<string, Unsettled>();
  private settling: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = RETRY_MIN_MS;

  constructor(options: RedisStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const onError = options.onError ?? (() => undefined);
    if (options.client !== undefined) {
      this.client = options.client;
      this.owned = false;
      this.commandTimeoutMs = undefined;
    } else {
      this.commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
      // a reconnect loop emits an error per attempt: counted and logged once per interval with the failed commands
      this.client = openClient(options.url, this.commandTimeoutMs, (error) => {
        this.health.failed(this.problemOf(error));
        onError(error);
      });
      this.owned = true;
    }
  }

  /** A PING within the command timeout: what `/readyz` asks before a load balancer sends traffic. */
  async ready(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError(this.kind, new Error("it is closed"));
    if (this.client.ping === undefined) return;
    const ping = this.client.ping.bind(this.client);
    await this.guard(() => ping());
  }

  async claim(key: string, leaseMs: number): Promise<Claim> {
    this.counts.claims += 1;
    const token = `claim:${newToken()}`;
    const full = this.keyPrefix + key;
    let answer: unknown;
    try {
      answer = await this.run(this.claimScript, full, token, Math.max(1, Math.ceil(leaseMs)));
    } catch (error) {
      // the claim may have reached Redis and be answered late: release it with its token once Redis answers
      this.keep({ key: full, release: token });
      throw error;
    }
    if (answer === 1) return { state: "yours", token };
    return answer === 2 ? { state: "done" } : { state: "in_flight" };
  }

  async commit(key: string, _token: string, ttlMs: number): Promise<void> {
    this.counts.commits += 1;
    const full = this.keyPrefix + key;
    const ttl = Math.max(1, Math.ceil(ttlMs));
    try {
      await this.guard(() => this.client.set(full, DONE, "PX", ttl));
    } catch (error) {
      // the work is done: mark it so once Redis answers, rather than let the lease expire and run it again
      this.keep({ key: full, commitTtlMs: ttl });
      throw error;
    }
  }

  /** The status compare-and-set (`statusOrder`), atomic across instances: one Lua script per message key. */
  async advance(key: string, step: StatusStep, ttlMs: number): Promise<StatusVerdict> {
    const { rank, top, position, id, fill } = step;
    const ttl = Math.max(1, Math.ceil(ttlMs));
    const answer = await this.run(this.advanceScript, this.keyPrefix + key, rank, top, position, id, fill, ttl);
    return answer === 1 ? "forward" : "superseded";
  }

  async release(key: string, token: string): Promise<void> {
    this.counts.releases += 1;
    const full = this.keyPrefix + key;
    try {
      await this.run(this.releaseScript, full, token);
    } catch (error) {
      this.keep({ key: full, release: token });
      throw error;
    }
  }

  stats(): Readonly<Record<string, number | string>> {
    return { kind: "redis", key_prefix: this.keyPrefix, ...this.counts, unsettled: this.unsettled.size };
  }

  /** Claims, releases and commits waiting for Redis to answer again. */
  get pendingSettlements(): number {
    return this.unsettled.size;
  }

  private keep(what: Unsettled): void {
    if (this.closed) return;
    // one entry per claim token (several claims of one key may be unanswered) and one commit per key
    const id = "release" in what ? `${what.key}\n${what.release}` : `${what.key}\ncommit`;
    if (!this.unsettled.has(id) && this.unsettled.size >= MAX_UNSETTLED) {
      // the oldest one's lease frees it in the end; memory stays bounded during a long outage
      const oldest = this.unsettled.keys().next().value;
      if (oldest !== undefined) this.unsettled.delete(oldest);
    }
    this.unsettled.set(id, what);
    this.scheduleSettle();
  }

  /** Retries what is unsettled soon, then ever less often (jittered) while Redis stays silent. */
  private scheduleSettle(): void {
    if (this.retryTimer !== undefined || this.settling !== undefined || this.unsettled.size === 0 || this.closed)
      return;
    const delay = this.retryDelayMs * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.settleNow();
    }, delay);
    this.retryTimer.unref();
  }

  /** Sends every unsettled release and commit once (pipelined by the client); what fails stays for the next round. */
  private settleNow(): Promise<void> {
    if (this.settling !== undefined) return this.settling;
    const batch = [...this.unsettled];
    const round = Promise.all(
      batch.map(async ([id, what]) => {
        try {
          if ("release" in what) await this.run(this.releaseScript, what.key, what.release);
          else await this.guard(() => this.client.set(what.key, DONE, "PX", what.commitTtlMs));
          if (this.unsettled.get(id) === what) this.unsettled.delete(id);
          this.counts.healed += 1;
          return true;
        } catch {
          return false;
        }
      }),
    ).then((results) => {
      this.settling = undefined;
      this.retryDelayMs = results.every(Boolean) ? RETRY_MIN_MS : Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
      this.scheduleSettle();
    });
    this.settling = round;
    return round;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // one last round for what a stall left unsettled; what still fails is freed by its lease
    if (this.unsettled.size > 0) {
      let cut: NodeJS.Timeout | undefined;
      await Promise.race([this.settleNow(), new Promise<void>((resolve) => (cut = setTimeout(resolve, 1000)))]);
      clearTimeout(cut);
    }
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

  /** Runs one command; its success or failure is what `health` (and its once-per-interval log line) reports. */
  private async guard<T>(command: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await command();
    } catch (error) {
      this.counts.errors += 1;
      const problem = this.problemOf(error);
      this.health.failed(problem);
      throw markReported(new StoreUnavailableError(this.kind, Object.assign(new Error(problem), { cause: error })));
    }
    this.health.recovered();
    // Redis answers again: settle at once what the stall left, instead of waiting for the retry timer
    if (this.unsettled.size > 0 && this.settling === undefined && !this.closed) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      void this.settleNow();
    }
    return result;
  }

  private problemOf(error: unknown): string {
    const message = messageOf(error);
    if (/timed out/i.test(message))
      return `Redis did not answer within ${this.commandTimeoutMs === undefined ? "the command timeout" : `${this.commandTimeoutMs} ms`}`;
    if (/ECONNREFUSED/.test(message)) return "Redis refused the connection (ECONNREFUSED)";
    if (/max retries|Connection is closed|ECONNRESET/i.test(message))
      return `Redis connection lost; reconnecting (${message})`;
    return `Redis failed: ${message}`;
  }
}

/** What is still to be sent for a key whose last command got no answer. */
type Unsettled =
  { readonly key: string; readonly release: string } | { readonly key: string; readonly commitTtlMs: number };

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 2000;

const RedisStoreConfig = z.strictObject({
  store: z.literal("redis"),
  /** `redis://[:password@]host:port/db`; `${REDIS_URL}` references are resolved from the environment */
  url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL"),
  key_prefix: z.string().min(1).optional(),
  ttl: PerPlatformDuration.optional(),
  /** how long one Redis command may take before the request answers 503 (default 2 s) */
  command_timeout: Duration.optional(),
});

/** `{ store: "redis", url, key_prefix, ttl, command_timeout }`: shared by every instance (docs/reliability.md). */
export const redisStore: StoreDefinition<typeof RedisStoreConfig> = {
  config: RedisStoreConfig,
  open: (config, options) =>
    new RedisStore({
      url: config.url,
      ...(config.key_prefix === undefined ? {} : { keyPrefix: config.key_prefix }),
      ...(config.command_timeout === undefined ? {} : { commandTimeoutMs: config.command_timeout }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    }),
};
