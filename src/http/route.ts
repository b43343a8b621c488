import type { Normalizer } from "../core";
import type { Block, BlockSet, SecretsGroup } from "./blocks";
import { notFound } from "./errors";

/** What a webhook URL names: one path segment under the base path, percent-decoded. */
export interface Route {
  /** a block id or a platform name */
  readonly key: string;
}

/**
 * Pure: the route of a URL (a path with its query string, or a full URL) under `basePath`, or `undefined` when
 * the URL is not one of ours (another prefix, no segment, nested segments, broken percent-encoding).
 */
export function parseRoute(url: string, basePath: string): Route | undefined {
  let pathname: string;
  try {
    pathname = new URL(url, "http://localhost").pathname;
  } catch {
    return undefined;
  }
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const rest = pathname.slice(basePath.length + 1).replace(/\/$/, "");
  if (rest === "" || rest.includes("/")) return undefined;
  try {
    return { key: decodeURIComponent(rest) };
  } catch {
    return undefined;
  }
}

/** The path as logged: re-encoded, without the query string (a handshake's query carries the verify token). */
export function routePath(route: Route | undefined, basePath: string): string {
  return route === undefined ? "(other)" : `${basePath}/${encodeURIComponent(route.key)}`;
}

/** Who a request is for: one block, or the shared route of a platform and the secrets groups it serves. */
export type Target =
  | { readonly kind: "block"; readonly platform: string; readonly block: Block }
  | { readonly kind: "shared"; readonly platform: string; readonly groups: readonly SecretsGroup[] };

/**
 * Block ids are looked up first, then platform names (loading guarantees no block id is a platform name).
 * Throws a 404 `HttpError` naming the fix, never the configured ids.
 */
export function resolveTarget(route: Route | undefined, blocks: BlockSet, normalizer: Normalizer, basePath: string): Target {
  if (route === undefined) throw notFound(`no webhook route here: POST to ${basePath}/<block id>`);
  const { key } = route;
  const block = blocks.byId(key);
  if (block !== undefined) return { kind: "block", platform: block.platform, block };
  if (normalizer.platforms.includes(key)) {
    if (normalizer.adapterFor(key).accounts === undefined) {
      throw notFound(`${key} has no shared route (its payloads do not name the account): POST to ${basePath}/<block id>`);
    }
    const groups = blocks.sharedGroups(key);
    if (groups.length === 0) throw notFound(`no ${key} block is configured with an account_id`);
    return { kind: "shared", platform: key, groups };
  }
  throw notFound(`unknown block ${JSON.stringify(key.slice(0, 128))}`);
}
