import type { z } from "zod";
import { ConvoticError, messageOf } from "../core";

/**
 * Idempotency by event id: before the sinks and handlers see an event it is **claimed**; once they all succeeded it
 * is **committed** (remembered as done for the platform's redelivery window); on failure it is **released** so the
 * redelivery runs it again. One key per event (and per sink stage, see delivery.ts), never per request, so the
 * redelivery of a batch where one event failed runs only that event.
 */

/** The answer to a claim. Only `yours` carries the token that commit and release must present. */
export type Claim =
  | { readonly state: "yours"; readonly token: string }
  /** committed already, by this or another instance: acknowledge without running anything */
  | { readonly state: "done" }
  /** claimed elsewhere and neither committed nor released yet: the platform must retry later */
  | { readonly state: "in_flight" };

export type ClaimState = Claim["state"];

export interface IdempotencyStore {
  /** names the store kind in logs and stats (`memory`, `redis`) */
  readonly kind: string;
  /**
   * Atomically claims `key` for `leaseMs`. The lease bounds how long a crashed holder blocks the key: after it the
   * claim expires and the next delivery may take it.
   */
  claim(key: string, leaseMs: number): Promise<Claim>;
  /** Marks `key` done for `ttlMs` (the redelivery window), whoever holds the claim now. */
  commit(key: string, token: string, ttlMs: number): Promise<void>;
  /** Forgets the claim if `token` still holds it (a claim that expired and was taken by another is left alone). */
  release(key: string, token: string): Promise<void>;
  /** Counters for logs and readiness answers; the shape depends on the kind. */
  stats(): Readonly<Record<string, number | string>>;
  /**
   * Present when the store answers within the call (the memory store): the delivery then claims, commits and
   * releases through it, without a promise and a microtask per key. Absent for a store behind a network.
   */
  readonly immediate?: ImmediateIdempotency;
  /** For readiness probes: resolves when the store answers, rejects when it does not. Absent means always ready. */
  ready?(): Promise<void>;
  /** Frees what the store holds (a connection it opened). Idempotent. */
  close(): Promise<void>;
}

/**
 * The synchronous form of a store's three steps. Each does exactly what its promise-returning counterpart does, and
 * throws where that one would reject.
 */
export interface ImmediateIdempotency {
  claimNow(key: string, leaseMs: number): Claim;
  commitNow(key: string, token: string, ttlMs: number): void;
  releaseNow(key: string, token: string): void;
}

/** An id nobody else can guess or reuse, for the claim token. */
export function newToken(): string {
  return `${process.pid.toString(36)}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 12)}`;
}

/** The store did not answer: the edge answers 503 so the platform retries, rather than risk running twice. */
export class StoreUnavailableError extends ConvoticError {
  override readonly name = "StoreUnavailableError";
  constructor(kind: string, cause: unknown) {
    super(`the ${kind} idempotency store is unavailable: ${messageOf(cause)}`, {
      code: "store_unavailable",
      status: 503,
      cause,
    });
  }
}

/** The schema of one store's `idempotency` section: a strict object whose `store` is the registry key. */
export type StoreConfigSchema = z.ZodObject<{ store: z.ZodLiteral<string> }, z.core.$strict>;

/** What opening a store may be told besides its section. */
export interface StoreOptions {
  /** hears a networked store's connection errors (serve logs them at debug) */
  readonly onError?: (error: unknown) => void;
}

/**
 * One idempotency store kind. Adding one is a file exporting a `StoreDefinition` plus a line in `STORES`
 * (config.ts): the `idempotency` section's schema and `openStore` derive from it.
 */
export interface StoreDefinition<Schema extends StoreConfigSchema> {
  /** the section's schema, `store` included (a `ttl` member is read by `ttlOf`) */
  readonly config: Schema;
  open(config: z.output<Schema>, options: StoreOptions): IdempotencyStore;
}
