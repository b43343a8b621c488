import { z } from "zod";
import { ConfigError, describeIssues, type Normalizer } from "../core";
import {
  Duration,
  IdempotencyConfigSchema,
  literalRedisCredentials,
  PerPlatformDuration,
  type IdempotencyConfig,
  type PerPlatform,
} from "../delivery";
import { SinksConfig } from "../delivery/sinks";
import { loadBlocks, type BlockSet } from "../http/blocks";
import { resolveEnv, type Env } from "../http/env";
import type { FairnessOptions } from "../http/budget";
import type { StatusOrderOptions } from "../delivery/status-order";

/*
 * `serve`'s config file: the server's own settings (limits, sinks, idempotency, data_dir, logs, ops, timeouts…)
 * around the blocks. It lives with the CLI, which reads it; the edge knows only the blocks (http/blocks.ts), so it
 * never imports the sinks.
 */

/** The file `convotic serve --config` reads. Everything but `blocks` is optional. */
export const ServerConfigSchema = z.strictObject({
  port: z.int().min(0).max(65535).optional(),
  /** `after-dispatch` (default) or `immediate`; see docs/http.md for the trade-off */
  ack: z.enum(["after-dispatch", "immediate"]).optional(),
  /** the largest accepted body in bytes (default 1 MiB) */
  body_limit: z.int().positive().optional(),
  /** the body bytes all requests together may hold (default: 32 MiB or 8 body limits); past it, 503 + Retry-After */
  max_in_flight_bytes: z.int().positive().optional(),
  /** object members one body may hold (default 100,000); past it 413 `too_many_keys` */
  max_keys: z.int().positive().optional(),
  /** array elements one body may hold (default 10,000); past it 413 `too_many_items` */
  max_items: z.int().positive().optional(),
  /** how the in-flight budget is shared before authentication (docs/http.md, "Fairness before authentication") */
  fairness: z
    .strictObject({
      per_address_share: z.number().gt(0).max(1).optional(),
      small_body_bytes: z.int().positive().optional(),
      small_body_reserve: z.int().min(0).optional(),
      min_body_rate: z
        .union([
          z.literal(false),
          z.strictObject({ bytes_per_second: z.int().positive(), window_ms: z.int().positive() }),
        ])
        .optional(),
    })
    .optional(),
  /** the node server's limits, in milliseconds (defaults: headers 10 s, request 30 s, keep-alive 5 s) */
  timeouts: z
    .strictObject({
      headers_ms: z.int().positive().optional(),
      request_ms: z.int().positive().optional(),
      keep_alive_ms: z.int().positive().optional(),
    })
    .refine(
      (timeouts) =>
        timeouts.headers_ms === undefined ||
        timeouts.request_ms === undefined ||
        timeouts.headers_ms <= timeouts.request_ms,
      {
        message: "headers_ms must not exceed request_ms",
      },
    )
    .optional(),
  /** `{ store: "memory", max_entries, ttl }` (the default), `{ store: "redis", url, key_prefix, ttl }`, or `false` */
  idempotency: z.unknown().optional(),
  /** the time a request's sinks and handlers get: one duration or durations by platform (docs/reliability.md) */
  deadlines: PerPlatformDuration.optional(),
  /** statuses that only move forward (default off, docs/reliability.md): `true`, or its options */
  status_order: z
    .union([
      z.boolean(),
      z.strictObject({
        skipped: z.enum(["deliver", "drop"]).optional(),
        skippable: z.record(z.string().min(1), z.string().min(1)).optional(),
        ranks: z.record(z.string().min(1), z.record(z.string().min(1), z.int().positive())).optional(),
      }),
    ])
    .optional(),
  /** how long SIGTERM waits for in-flight work before exiting non-zero (default 10 s) */
  shutdown_grace: Duration.optional(),
  /** unwritten stdout bytes held before requests are answered 503 (default 1 MiB) */
  stdout_buffer_bytes: z.int().positive().optional(),
  /** where events go: `[{ kind: "stdout" | "file" | "webhook", filter, format, … }]`; absent: JSON lines on stdout */
  sinks: z.unknown().optional(),
  /** where durable state lives (the webhook sinks' outboxes); relative to the config file's folder; default `.convotic` */
  data_dir: z.string().min(1).optional(),
  /** adapters to load besides the built-in ones: paths (from the config file's folder) or package names */
  adapters: z.array(z.string().min(1)).optional(),
  /**
   * `/healthz`, `/readyz` and `/metrics` on a listener of their own (default host 127.0.0.1); the public listener
   * then answers 404 there. For public deployments: webhooks public, operations on an internal address.
   */
  ops: z.strictObject({ host: z.string().min(1).optional(), port: z.int().min(0).max(65535) }).optional(),
  /** log settings: `auth_failure_interval` (default 10 s) is how often refused signatures are summed up per route */
  logs: z.strictObject({ auth_failure_interval: Duration.optional() }).optional(),
  /**
   * the development inspector at /_convotic (docs/inspector.md): `true`, or `{ enabled, fixtures_dir, allow_remote,
   * max_entries, max_bytes }` (an object means enabled unless `enabled: false`); the --inspect flags override it
   */
  inspect: z
    .union([
      z.boolean(),
      z.strictObject({
        enabled: z.boolean().optional(),
        fixtures_dir: z.string().min(1).optional(),
        allow_remote: z.boolean().optional(),
        max_entries: z.int().positive().optional(),
        max_bytes: z.int().positive().optional(),
      }),
    ])
    .optional(),
  /** `convotic consume`'s settings (durable, filter, …): serve ignores them, so one file can configure both */
  consume: z.unknown().optional(),
  blocks: z.array(z.unknown()),
});

/** The config file's `inspect`: `true`, or the inspector's settings (`fixtures_dir` from the config file's folder). */
export type InspectConfig =
  | boolean
  | {
      readonly enabled?: boolean | undefined;
      readonly fixtures_dir?: string | undefined;
      readonly allow_remote?: boolean | undefined;
      readonly max_entries?: number | undefined;
      readonly max_bytes?: number | undefined;
    };

/** The config file's `fairness` object, in its own snake_case. */
export interface FairnessConfig {
  readonly per_address_share?: number | undefined;
  readonly small_body_bytes?: number | undefined;
  readonly small_body_reserve?: number | undefined;
  readonly min_body_rate?: false | { readonly bytes_per_second: number; readonly window_ms: number } | undefined;
}

/** The config file's `fairness` as `createWebhookHandler`'s option. */
export function fairnessOf(config: FairnessConfig): FairnessOptions {
  const rate = config.min_body_rate;
  return {
    ...(config.per_address_share === undefined ? {} : { perAddressShare: config.per_address_share }),
    ...(config.small_body_bytes === undefined ? {} : { smallBodyBytes: config.small_body_bytes }),
    ...(config.small_body_reserve === undefined ? {} : { smallBodyReserve: config.small_body_reserve }),
    ...(rate === undefined
      ? {}
      : { minBodyRate: rate === false ? false : { bytesPerSecond: rate.bytes_per_second, windowMs: rate.window_ms } }),
  };
}

/** The config file's `status_order` as `createWebhookHandler`'s `statusOrder`. */
export function statusOrderOf(config: NonNullable<ServerConfig["status_order"]>): boolean | StatusOrderOptions {
  if (typeof config === "boolean") return config;
  return {
    ...(config.skipped === undefined ? {} : { skipped: config.skipped }),
    ...(config.skippable === undefined ? {} : { skippable: config.skippable }),
    ...(config.ranks === undefined ? {} : { ranks: config.ranks }),
  };
}

export interface ServerConfig {
  readonly port?: number | undefined;
  readonly ack?: "after-dispatch" | "immediate" | undefined;
  readonly body_limit?: number | undefined;
  readonly max_in_flight_bytes?: number | undefined;
  readonly max_keys?: number | undefined;
  readonly max_items?: number | undefined;
  readonly fairness?: FairnessConfig | undefined;
  readonly timeouts?:
    | {
        readonly headers_ms?: number | undefined;
        readonly request_ms?: number | undefined;
        readonly keep_alive_ms?: number | undefined;
      }
    | undefined;
  readonly idempotency?: IdempotencyConfig | undefined;
  readonly deadlines?: PerPlatform | undefined;
  readonly status_order?:
    | boolean
    | {
        readonly skipped?: "deliver" | "drop" | undefined;
        readonly skippable?: Readonly<Record<string, string>> | undefined;
        readonly ranks?: Readonly<Record<string, Readonly<Record<string, number>>>> | undefined;
      }
    | undefined;
  /** milliseconds */
  readonly shutdown_grace?: number | undefined;
  readonly stdout_buffer_bytes?: number | undefined;
  readonly ops?: { readonly host?: string | undefined; readonly port: number } | undefined;
  /** `auth_failure_interval` in milliseconds */
  readonly logs?: { readonly auth_failure_interval?: number | undefined } | undefined;
  /** validated, `${VAR}` references resolved; absent when the file has no `sinks` */
  readonly sinks?: z.output<typeof SinksConfig> | undefined;
  /** as written in the file (serve resolves it from the config file's folder) */
  readonly data_dir?: string | undefined;
  /** the development inspector's settings (docs/inspector.md, "In the config file") */
  readonly inspect?: InspectConfig | undefined;
  readonly blocks: BlockSet;
}

/** Validates a parsed `convotic.config.json` (port, ack, body limit and its blocks). */
export function loadConfig(input: unknown, options: { normalizer: Normalizer; env?: Env }): ServerConfig {
  const parsed = ServerConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error)}`);
  // `consume` is read by `convotic consume` alone
  const { blocks, idempotency: rawIdempotency, sinks: rawSinks, consume: _consume, ...rest } = parsed.data;
  if (blocks.length === 0) throw new ConfigError("invalid configuration: blocks is empty");
  let idempotency: IdempotencyConfig | undefined;
  if (rawIdempotency !== undefined) {
    // the Redis URL may carry a password: `${REDIS_URL}` keeps it out of the file
    const literal = literalRedisCredentials(rawIdempotency);
    if (literal !== undefined) throw new ConfigError(`invalid configuration: idempotency: ${literal}`);
    const checked = IdempotencyConfigSchema.safeParse(
      resolveEnv(rawIdempotency, options.env ?? {}, "idempotency", "idempotency"),
    );
    if (!checked.success) throw new ConfigError(`invalid configuration: idempotency: ${describeIssues(checked.error)}`);
    idempotency = checked.data;
  }
  let sinks: z.output<typeof SinksConfig> | undefined;
  if (rawSinks !== undefined) {
    // webhook secrets belong in `${VAR}` references; messages name the field, never a value
    const checked = SinksConfig.safeParse(resolveEnv(rawSinks, options.env ?? {}, "sinks", "sinks"));
    if (!checked.success) throw new ConfigError(`invalid configuration: sinks: ${describeIssues(checked.error)}`);
    if (checked.data.length === 0)
      throw new ConfigError("invalid configuration: sinks is empty (leave it out for JSON lines on stdout)");
    sinks = checked.data;
  }
  return {
    ...rest,
    ...(idempotency === undefined ? {} : { idempotency }),
    ...(sinks === undefined ? {} : { sinks }),
    blocks: loadBlocks(blocks, options),
  };
}
