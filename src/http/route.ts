import type { Normalizer } from "../core";
import type { Block, BlockSet, SecretsGroup } from "./blocks";
import { notFound } from "./errors";

/** What a webhook URL names: one or two path segments under the base path, percent-decoded. */
export interface Route {
  /** a block id or a platform name */
  readonly key: string;
  /** the second segment: the app of a platform's shared route (`/webhooks/<platform>/<app>`) */
  readonly app?: string;
}

/**
 * Pure: the route of a URL (a path with its query string, or a full URL) under `basePath`, or `undefined` when
 * the URL is not one of ours (another prefix, no segment, more than two, broken percent-encoding).
 */
/**
 * A path of letters, digits and `-_~/` only (no dot, percent sign, query or leading `//`) is already its own
 * pathname: what the WHATWG URL parser would return unchanged, without running it for every request.
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_~/-]*$/;

/** The pathname of a request URL (a path with its query string, or a full URL); throws as `new URL` does. */
export function pathnameOf(url: string): string {
  return PLAIN_PATH.test(url) ? url : new URL(url, "http://localhost").pathname;
}

export function parseRoute(url: string, basePath: string): Route | undefined {
  let pathname: string;
  try {
    pathname = pathnameOf(url);
  } catch {
    return undefined;
  }
  if (!pathname.startsWith(`${basePath}/`)) return undefined;
  const segments = pathname
    .slice(basePath.length + 1)
    .replace(/\/$/, "")
    .split("/");
  if (segments.length > 2 || segments.some((segment) => segment === "")) return undefined;
  try {
    const [key, app] = segments.map((segment) => decodeURIComponent(segment));
    return app === undefined ? { key: key! } : { key: key!, app };
  } catch {
    return undefined;
  }
}

/** The path as logged: re-encoded, without the query string (a handshake's query carries the verify token). */
export function routePath(route: Route | undefined, basePath: string): string {
  if (route === undefined) return "(other)";
  return `${basePath}/${encodeURIComponent(route.key)}${route.app === undefined ? "" : `/${encodeURIComponent(route.app)}`}`;
}

/** Who a request is for: one block, or a shared route and the blocks of the one app it serves. */
export type Target =
  | { readonly kind: "block"; readonly platform: string; readonly block: Block }
  | { readonly kind: "shared"; readonly platform: string; readonly group: SecretsGroup };

/**
 * Block ids are looked up first, then platform names (loading guarantees no block id is a platform name).
 * Throws a 404 `HttpError` naming the fix, never the configured ids.
 */
export function resolveTarget(
  route: Route | undefined,
  blocks: BlockSet,
  normalizer: Normalizer,
  basePath: string,
): Target {
  if (route === undefined) throw notFound(`no webhook route here: POST to ${basePath}/<block id>`);
  const { key, app } = route;
  const block = app === undefined ? blocks.byId(key) : undefined;
  if (block !== undefined) return { kind: "block", platform: block.platform, block };
  if (normalizer.platforms.includes(key)) {
    if (normalizer.adapterFor(key).accounts === undefined) {
      throw notFound(
        `${key} has no shared route (its payloads do not name the account): POST to ${basePath}/<block id>`,
      );
    }
    const group = blocks.sharedGroup(key, app);
    if (group !== undefined) return { kind: "shared", platform: key, group };
    if (app !== undefined) throw notFound(`no ${key} block is configured with this app`);
    if (blocks.sharedGroups(key).length > 0) {
      throw notFound(`the ${key} blocks name their app: POST to ${basePath}/${key}/<app>`);
    }
    throw notFound(`no ${key} block is configured with an account_id`);
  }
  throw notFound(`unknown ${app === undefined ? "block" : "platform"} ${JSON.stringify(key.slice(0, 128))}`);
}

/** A URL's route and the path its log lines show. */
export interface RouteOf {
  readonly route: Route;
  readonly path: string;
}

/**
 * The routes of the URLs that named a configured target, remembered: a webhook URL is posted to over and over, and
 * parsing it (a regex, a split, percent-decoding, then re-encoding for the log) was paid on every request. Bounded
 * (`max` URLs; later ones are parsed each time), and a URL with a query (a handshake's changes per request) is not kept.
 */
export class RouteMemo {
  private readonly known = new Map<string, RouteOf>();

  constructor(private readonly max = 256) {}

  get(url: string): RouteOf | undefined {
    return this.known.get(url);
  }

  remember(url: string, route: Route, path: string): void {
    if (this.known.size < this.max && !url.includes("?")) this.known.set(url, { route, path });
  }
}
