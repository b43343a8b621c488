import { z } from "zod";
import { checkSecrets, ConfigError, describeIssues, type Normalizer } from "../core";
import { resolveEnv, type Env } from "./env";
import { publicUrlProblem } from "./public-url";
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
  /**
   * the URL the platform is configured to call for this block, without its query (appended as received): what
   * signatures that cover the URL (Twilio's) are checked against behind a proxy (docs/http.md, "Public URL")
   */
  readonly public_url?: string;
  /** take the scheme and host from `X-Forwarded-Proto` / `X-Forwarded-Host` (only behind a proxy you run) */
  readonly trust_forwarded?: boolean;
  /** validated by the adapter's own `secrets` schema; not enumerable, so logging or serialising a block never shows it */
  readonly secrets: unknown;
}

export { resolveEnv, type Env } from "./env";

/** Block ids appear in URLs (`/webhooks/:blockId`), so they are restricted to one safe path segment. */
const BlockId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "1-128 characters of A-Z a-z 0-9 _ . - (not starting with _ . -)");

export const BlockConfigSchema = z.strictObject({
  id: BlockId,
  platform: z.string().min(1),
  workspace_id: z.string().min(1),
  account_id: z.string().min(1).optional(),
  /** with `account_id`: the shared route `/webhooks/<platform>/<app>` of the blocks signed by one app's secrets */
  app: BlockId.optional(),
  /** the URL the platform calls for this block, without query: signatures over the URL are checked against it */
  public_url: z
    .string()
    .superRefine((value, ctx) => {
      const problem = publicUrlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  /** scheme and host of the public URL from `X-Forwarded-Proto` / `X-Forwarded-Host` (a proxy you run sets them) */
  trust_forwarded: z.boolean().optional(),
  /** checked against the adapter's `secrets` schema once the platform is known */
  secrets: z.unknown(),
});
export type BlockConfig = z.input<typeof BlockConfigSchema>;

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
    if (reserved.has(config.id))
      throw new ConfigError(`${where}: a block id may not be a platform name (it names the shared route)`);
    if (!normalizer.platforms.includes(config.platform)) {
      throw new ConfigError(
        `${where}: unknown platform "${config.platform}" (available: ${normalizer.platforms.join(", ")})`,
      );
    }
    const secrets = checkSecrets(normalizer.adapterFor(config.platform), config.secrets, where);
    checkSecretLengths(config.platform, secrets, where);
    if (config.app !== undefined && config.account_id === undefined) {
      throw new ConfigError(`${where}: app names a shared route, which routes by account: set account_id too`);
    }
    if (config.public_url !== undefined && config.trust_forwarded === true) {
      throw new ConfigError(
        `${where}: public_url and trust_forwarded both say where the public URL comes from: keep one`,
      );
    }
    if (config.account_id !== undefined) {
      const key = accountKey(config.platform, config.account_id);
      const other = accounts.get(key);
      if (other !== undefined)
        throw new ConfigError(`${where}: account_id ${config.account_id} is already used by block "${other}"`);
      accounts.set(key, config.id);
    }
    seen.add(config.id);
    const block = {
      id: config.id,
      platform: config.platform,
      workspace_id: config.workspace_id,
      ...(config.account_id === undefined ? {} : { account_id: config.account_id }),
      ...(config.app === undefined ? {} : { app: config.app }),
      ...(config.public_url === undefined ? {} : { public_url: config.public_url }),
      ...(config.trust_forwarded === undefined ? {} : { trust_forwarded: config.trust_forwarded }),
    };
    Object.defineProperty(block, "secrets", { value: secrets, enumerable: false });
    blocks.push(Object.freeze(block) as Block);
  });
  return new BlockSet(blocks);
}
