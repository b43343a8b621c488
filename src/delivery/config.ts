import { z } from "zod";
import { memoryStore } from "./memory-store";
import type { PerPlatform } from "./policy";
import { redisStore } from "./redis-store";
import type { IdempotencyStore, StoreDefinition, StoreConfigSchema, StoreOptions } from "./store";

export { Duration, PerPlatformDuration } from "./duration";

/**
 * The idempotency stores, by the `store` of `serve`'s (and `consume`'s) `idempotency` section. The section's schema
 * and `openStore` derive from this object; adding a store is a file exporting a `StoreDefinition` plus a line here.
 */
export const STORES = {
  memory: memoryStore,
  redis: redisStore,
} as const satisfies {
  readonly [Store in string]: StoreDefinition<StoreConfigSchema & z.ZodObject<{ store: z.ZodLiteral<Store> }>>;
};

export type StoreKind = keyof typeof STORES;
type StoreSchema = (typeof STORES)[StoreKind]["config"];

/** `serve`'s `idempotency` section; `false` turns it off. */
export const IdempotencyConfigSchema = z.union([
  z.literal(false),
  ...(Object.values(STORES).map((store) => store.config) as [StoreSchema, ...StoreSchema[]]),
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
export function openStore(config: IdempotencyConfig | undefined, options: StoreOptions = {}): IdempotencyStore | false {
  if (config === false) return false;
  const section = config ?? { store: "memory" as const };
  // the lookup by `store` loses the pairing of a section and its definition that TypeScript could see
  return (STORES[section.store] as StoreDefinition<StoreConfigSchema>).open(section, options);
}

/** The ttl table of a config section, for `createDelivery({ ttl })`. */
export function ttlOf(config: IdempotencyConfig | undefined): PerPlatform | undefined {
  return config === undefined || config === false ? undefined : config.ttl;
}
