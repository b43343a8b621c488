import { z } from "zod";
import { MemoryStore } from "./memory-store";
import type { PerPlatform } from "./policy";
import { RedisStore } from "./redis-store";
import type { IdempotencyStore } from "./store";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"1500ms"`, `"2s"`, `"36h"`, `"7d"`, or a number of milliseconds. */
export const Duration = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as "1500ms", "10s", "36h" or "7d"'),
  ])
  .transform((value) => {
    if (typeof value === "number") return value;
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value)!;
    return Number(amount) * UNITS[unit!]!;
  });

/** One duration for every platform, or durations by platform name with an optional `default`. */
export const PerPlatformDuration = z.union([Duration, z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "a platform name or default"), Duration)]);

/** `serve`'s `idempotency` section; `false` turns it off. */
export const IdempotencyConfigSchema = z.union([
  z.literal(false),
  z.strictObject({
    store: z.literal("memory"),
    /** the most event ids held (LRU eviction beyond); default 100 000 */
    max_entries: z.int().positive().optional(),
    ttl: PerPlatformDuration.optional(),
  }),
  z.strictObject({
    store: z.literal("redis"),
    /** `redis://[:password@]host:port/db`; `${REDIS_URL}` references are resolved from the environment */
    url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL"),
    key_prefix: z.string().min(1).optional(),
    ttl: PerPlatformDuration.optional(),
    /** how long one Redis command may take before the request answers 503 (default 2 s) */
    command_timeout: Duration.optional(),
  }),
]);
export type IdempotencyConfig = z.output<typeof IdempotencyConfigSchema>;

/**
 * The Redis URL is where ioredis takes a password from (`redis://:password@host`), so one is allowed there, but
 * only from the environment: a `url` written out in the file with credentials in it is refused (the file is
 * copied, committed and shown far more often than the environment). Call with the section before `${VAR}`
 * references are resolved; `undefined` when it is fine, else the message.
 */
export function literalRedisCredentials(raw: unknown): string | undefined {
  const url = raw !== null && typeof raw === "object" ? (raw as { url?: unknown }).url : undefined;
  if (typeof url !== "string" || !/^rediss?:\/\/[^/?#@]*@/.test(url.replace(/\$\{[^}]*\}/g, ""))) return undefined;
  return 'url: credentials in a Redis URL written in the file are refused; put the whole URL in the environment: "url": "${REDIS_URL}"';
}

/** Opens the store a config section names (`undefined`: the memory store with its defaults). */
export function openStore(config: IdempotencyConfig | undefined, options: { onError?: (error: unknown) => void } = {}): IdempotencyStore | false {
  if (config === false) return false;
  if (config === undefined || config.store === "memory") {
    return new MemoryStore(config?.max_entries === undefined ? {} : { maxEntries: config.max_entries });
  }
  return new RedisStore({
    url: config.url,
    ...(config.key_prefix === undefined ? {} : { keyPrefix: config.key_prefix }),
    ...(config.command_timeout === undefined ? {} : { commandTimeoutMs: config.command_timeout }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}

/** The ttl table of a config section, for `createDelivery({ ttl })`. */
export function ttlOf(config: IdempotencyConfig | undefined): PerPlatform | undefined {
  return config === undefined || config === false ? undefined : config.ttl;
}
