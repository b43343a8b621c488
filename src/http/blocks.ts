import { z } from "zod";
import { checkSecrets, ConfigError, describeIssues, type Normalizer } from "../core";
import { Duration, IdempotencyConfigSchema, literalRedisCredentials, PerPlatformDuration, type IdempotencyConfig, type PerPlatform } from "../delivery";
import { SinksConfig } from "../delivery/sinks";
import type { FairnessOptions } from "./budget";
import { resolveEnv, type Env } from "./env";
import { checkSecretLengths } from "./secret-rules";

/**
 * A block is one connected account: which platform it is on, which workspace its events belong to, and the
 * secrets that authenticate its webhooks. Blocks are configuration, loaded once and validated up front so a
 * missing or malformed secret fails at start-up, not on the first real delivery.
 */
export interface Block {
  readonly id: string;
  readonly platform: string;
  readonly workspace_id: string;
  /** the platform's id of the account (Page id, IG account id, phone_number_id, LINE destination…) for shared routes */
  readonly account_id?: string;
  /**
   * names the app whose secrets sign this block's webhooks when a platform's shared route serves blocks of
   * several apps: `/webhooks/<platform>/<app>` (see docs/http.md, "The shared route")
   */
  readonly app?: string;
  /** validated by the adapter's own `secrets` schema; not enumerable, so logging or serialising a block never shows it */
  readonly secrets: unknown;
}

export { resolveEnv, type Env } from "./env";

/** Block ids appear in URLs (`/webhooks/:blockId`), so they are restricted to one safe path segment. */
const BlockId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "1-128 characters of A-Z a-z 0-9 _ . - (not starting with _ . -)");

export const BlockConfigSchema = z.strictObject({
  id: BlockId,
  platform: z.string().min(1),
  workspace_id: z.string().min(1),
  account_id: z.string().min(1).optional(),
  /** with `account_id`: the shared route `/webhooks/<platform>/<app>` of the blocks signed by one app's secrets */
  app: BlockId.optional(),
  /** checked against the adapter's `secrets` schema once the platform is known */
  secrets: z.unknown(),
});
export type BlockConfig = z.input<typeof BlockConfigSchema>;

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
      min_body_rate: z.union([z.literal(false), z.strictObject({ bytes_per_second: z.int().positive(), window_ms: z.int().positive() })]).optional(),
    })
    .optional(),
  /** the node server's limits, in milliseconds (defaults: headers 10 s, request 30 s, keep-alive 5 s) */
  timeouts: z
    .strictObject({
      headers_ms: z.int().positive().optional(),
      request_ms: z.int().positive().optional(),
      keep_alive_ms: z.int().positive().optional(),
    })
    .refine((timeouts) => timeouts.headers_ms === undefined || timeouts.request_ms === undefined || timeouts.headers_ms <= timeouts.request_ms, {
      message: "headers_ms must not exceed request_ms",
    })
    .optional(),
  /** `{ store: "memory", max_entries, ttl }` (the default), `{ store: "redis", url, key_prefix, ttl }`, or `false` */
  idempotency: z.unknown().optional(),
  /** the time a request's sinks and handlers get: one duration or durations by platform (docs/reliability.md) */
  deadlines: PerPlatformDuration.optional(),
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
  /** `convotic consume`'s settings (durable, filter, …): serve ignores them, so one file can configure both */
  consume: z.unknown().optional(),
  blocks: z.array(z.unknown()),
});

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
    ...(rate === undefined ? {} : { minBodyRate: rate === false ? false : { bytesPerSecond: rate.bytes_per_second, windowMs: rate.window_ms } }),
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
  readonly timeouts?: { readonly headers_ms?: number | undefined; readonly request_ms?: number | undefined; readonly keep_alive_ms?: number | undefined } | undefined;
  readonly idempotency?: IdempotencyConfig | undefined;
  readonly deadlines?: PerPlatform | undefined;
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
  readonly blocks: BlockSet;
}

/**
 * The blocks one shared route serves: those of one platform that name their account and the same `app` (or
 * none). They share one secrets object (every Page of one Meta app shares the app secret), so the route
 * verifies a request once, whatever the number of tenants.
 */
export interface SecretsGroup {
  readonly platform: string;
  readonly app: string | undefined;
  readonly secrets: unknown;
  readonly blocks: readonly Block[];
}

/** The path of a group's shared route under the base path. */
export function sharedRoutePath(group: Pick<SecretsGroup, "platform" | "app">): string {
  return group.app === undefined ? group.platform : `${group.platform}/${group.app}`;
}

/** Key order does not matter when deciding whether two blocks share their secrets. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** The loaded blocks, indexed the ways the HTTP edge looks them up. */
export class BlockSet {
  private readonly byIdMap = new Map<string, Block>();
  private readonly byAccountMap = new Map<string, Block>();
  private readonly groupsByPlatform = new Map<string, SecretsGroup[]>();
  private readonly groupByRoute = new Map<string, SecretsGroup>();
  private readonly groupByBlock = new Map<Block, SecretsGroup>();

  /** Throws `ConfigError` when blocks of one shared route have different secrets: they could not be verified once. */
  constructor(readonly all: readonly Block[]) {
    const secretsOf = new Map<SecretsGroup, string>();
    for (const block of all) {
      this.byIdMap.set(block.id, block);
      if (block.account_id === undefined) continue;
      this.byAccountMap.set(accountKey(block.platform, block.account_id), block);
      const route = sharedRoutePath({ platform: block.platform, app: block.app });
      let group = this.groupByRoute.get(route);
      if (group === undefined) {
        group = { platform: block.platform, app: block.app, secrets: block.secrets, blocks: [] };
        this.groupByRoute.set(route, group);
        secretsOf.set(group, canonical(block.secrets));
        const groups = this.groupsByPlatform.get(block.platform) ?? [];
        groups.push(group);
        this.groupsByPlatform.set(block.platform, groups);
      } else if (secretsOf.get(group) !== canonical(block.secrets)) {
        const first = group.blocks[0]!.id;
        throw new ConfigError(
          `block "${block.id}": its secrets differ from those of block "${first}", which shares the route /${route}: ` +
            `a shared route verifies each request once, with one app's secrets; give the blocks of each app the same "app" name ` +
            `(served at /${block.platform}/<app>)`,
        );
      }
      (group.blocks as Block[]).push(block);
      this.groupByBlock.set(block, group);
    }
  }

  /** The shared routes of a platform: one per app (the blocks without `app` share `/webhooks/<platform>`). */
  sharedGroups(platform: string): readonly SecretsGroup[] {
    return this.groupsByPlatform.get(platform) ?? [];
  }

  /** The blocks `/webhooks/<platform>` (no app) or `/webhooks/<platform>/<app>` serves. */
  sharedGroup(platform: string, app?: string): SecretsGroup | undefined {
    return this.groupByRoute.get(sharedRoutePath({ platform, app }));
  }

  /** The secrets group of a block that names an account. */
  groupOf(block: Block): SecretsGroup | undefined {
    return this.groupByBlock.get(block);
  }

  byId(id: string): Block | undefined {
    return this.byIdMap.get(id);
  }

  ofPlatform(platform: string): Block[] {
    return this.all.filter((block) => block.platform === platform);
  }

  byAccount(platform: string, accountId: string): Block | undefined {
    return this.byAccountMap.get(accountKey(platform, accountId));
  }
}

function accountKey(platform: string, accountId: string): string {
  return JSON.stringify([platform, accountId]);
}

function label(input: unknown, index: number): string {
  const id = input !== null && typeof input === "object" ? (input as { id?: unknown }).id : undefined;
  return typeof id === "string" && id !== "" ? `block "${id}"` : `block #${index + 1}`;
}

/**
 * Validates block configurations against the registry: known platform, secrets valid for that
 * adapter, ids unique and distinct from platform names (which name the shared routes), one block per account.
 * Messages name the block and the field; secret values never appear in them.
 */
export function loadBlocks(inputs: readonly unknown[], options: { normalizer: Normalizer; env?: Env }): BlockSet {
  const { normalizer } = options;
  const env = options.env ?? {};
  const reserved = new Set<string>(normalizer.platforms);
  const blocks: Block[] = [];
  const seen = new Set<string>();
  const accounts = new Map<string, string>();

  inputs.forEach((input, index) => {
    const where = label(input, index);
    const parsed = BlockConfigSchema.safeParse(resolveEnv(input, env, where, ""));
    if (!parsed.success) throw new ConfigError(`${where}: ${describeIssues(parsed.error)}`);
    const config = parsed.data;
    if (seen.has(config.id)) throw new ConfigError(`${where}: the id is used by another block`);
    if (reserved.has(config.id)) throw new ConfigError(`${where}: a block id may not be a platform name (it names the shared route)`);
    if (!normalizer.platforms.includes(config.platform)) {
      throw new ConfigError(`${where}: unknown platform "${config.platform}" (available: ${normalizer.platforms.join(", ")})`);
    }
    const secrets = checkSecrets(normalizer.adapterFor(config.platform), config.secrets, where);
    checkSecretLengths(config.platform, secrets, where);
    if (config.app !== undefined && config.account_id === undefined) {
      throw new ConfigError(`${where}: app names a shared route, which routes by account: set account_id too`);
    }
    if (config.account_id !== undefined) {
      const key = accountKey(config.platform, config.account_id);
      const other = accounts.get(key);
      if (other !== undefined) throw new ConfigError(`${where}: account_id ${config.account_id} is already used by block "${other}"`);
      accounts.set(key, config.id);
    }
    seen.add(config.id);
    const block = {
      id: config.id,
      platform: config.platform,
      workspace_id: config.workspace_id,
      ...(config.account_id === undefined ? {} : { account_id: config.account_id }),
      ...(config.app === undefined ? {} : { app: config.app }),
    };
    Object.defineProperty(block, "secrets", { value: secrets, enumerable: false });
    blocks.push(Object.freeze(block) as Block);
  });
  return new BlockSet(blocks);
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
    const checked = IdempotencyConfigSchema.safeParse(resolveEnv(rawIdempotency, options.env ?? {}, "idempotency", "idempotency"));
    if (!checked.success) throw new ConfigError(`invalid configuration: idempotency: ${describeIssues(checked.error)}`);
    idempotency = checked.data;
  }
  let sinks: z.output<typeof SinksConfig> | undefined;
  if (rawSinks !== undefined) {
    // webhook secrets belong in `${VAR}` references; messages name the field, never a value
    const checked = SinksConfig.safeParse(resolveEnv(rawSinks, options.env ?? {}, "sinks", "sinks"));
    if (!checked.success) throw new ConfigError(`invalid configuration: sinks: ${describeIssues(checked.error)}`);
    if (checked.data.length === 0) throw new ConfigError("invalid configuration: sinks is empty (leave it out for JSON lines on stdout)");
    sinks = checked.data;
  }
  return {
    ...rest,
    ...(idempotency === undefined ? {} : { idempotency }),
    ...(sinks === undefined ? {} : { sinks }),
    blocks: loadBlocks(blocks, options),
  };
}
