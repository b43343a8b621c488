import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, messageOf, type ContextInput } from "../core";
import type { HandlerAccess, HttpRequest } from "../http";
import { publicUrlOf, type PublicUrlConfig } from "../http/public-url";
import { parseRoute, resolveTarget } from "../http/route";
import type { CandidateBlock } from "./diagnose";

/** The route a stored request was sent to, with the secrets it is verified with (never shown). */
export interface RouteSecrets {
  readonly platform: string;
  readonly secrets: unknown;
  /** `block line-demo`, or `the shared route /webhooks/messenger` */
  readonly label: string;
  /** the block id of a block route */
  readonly block?: string;
  /** every configured block the route does not serve */
  readonly others: readonly CandidateBlock[];
  /** how the route knows its public URL (a shared route: its first block's setting, as the handler reads it) */
  readonly publicUrl: PublicUrlConfig;
}

/** The target of a URL as the handler resolves it; `undefined` for a route that names nothing configured. */
export function routeSecrets(access: HandlerAccess, url: string): RouteSecrets | undefined {
  let target;
  try {
    target = resolveTarget(parseRoute(url, access.basePath), access.blocks, access.normalizer, access.basePath);
  } catch {
    return undefined;
  }
  const served = new Set(target.kind === "block" ? [target.block] : target.group.blocks);
  const others = access.blocks.all
    .filter((block) => !served.has(block))
    .map((block) => ({ id: block.id, platform: block.platform, secrets: block.secrets, publicUrl: urlConfig(block) }));
  const publicUrl = urlConfig(target.kind === "block" ? target.block : target.group.blocks[0]!);
  if (target.kind === "block")
    return {
      platform: target.platform,
      secrets: target.block.secrets,
      label: `block ${target.block.id}`,
      block: target.block.id,
      others,
      publicUrl,
    };
  const path = `${access.basePath}/${target.platform}${target.group.app === undefined ? "" : `/${target.group.app}`}`;
  return {
    platform: target.platform,
    secrets: target.group.secrets,
    label: `the shared route ${path}`,
    others,
    publicUrl,
  };
}

function urlConfig(block: PublicUrlConfig): PublicUrlConfig {
  return { public_url: block.public_url, trust_forwarded: block.trust_forwarded };
}

/** What the route's adapter signs: the body, and for a signature that covers the URL, the URL the handler builds. */
export function signedHeaders(
  access: HandlerAccess,
  route: RouteSecrets,
  request: Pick<HttpRequest, "rawBody" | "url" | "headers">,
): Record<string, string> {
  const url = publicUrlOf(route.publicUrl, request);
  return access.normalizer.adapterFor(route.platform).sign(request.rawBody, route.secrets, { url });
}

/** Header names whose values authenticate a request: shown as their length only. */
const SECRET_HEADER = /signature|token|secret|auth|cookie|api[-_]?key|password|hmac/i;

/**
 * The headers as the page shows them: signatures, tokens and cookies masked, and any header the platform's own
 * `sign` produces (whatever its name) masked too.
 */
export function maskedHeaders(
  headers: HttpRequest["headers"],
  signatureHeaders: readonly string[],
): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    const secret = SECRET_HEADER.test(name) || signatureHeaders.includes(name.toLowerCase());
    shown[name] = secret ? `•••• (masked, ${text.length} characters)` : text;
  }
  return shown;
}

/** A shell word: single-quoted, with embedded quotes closed and reopened. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A `curl` command that posts the stored body byte for byte with the headers the platform would send, signed now
 * with the route's secrets. The body goes through `printf '%s'`, so no trailing newline changes the signed bytes.
 */
export function curlCommand(access: HandlerAccess, request: HttpRequest, origin: string): string {
  const route = routeSecrets(access, request.url);
  if (route === undefined) throw new ConfigError("the request's route names no configured block or shared route");
  const target = new URL(request.url, "http://localhost");
  const path = target.pathname + target.search;
  // signed for the URL the handler will see: this origin, or the block's public_url
  const host = new URL(origin).host;
  const signed = signedHeaders(access, route, { rawBody: request.rawBody, url: path, headers: { host } });
  const contentType = String(request.headers["content-type"] ?? "application/json");
  const headers = { "content-type": contentType, ...signed };
  const lines = [
    `printf '%s' ${quoted(Buffer.from(request.rawBody).toString("utf8"))} |`,
    `  curl -sS -X POST ${quoted(`${origin}${path}`)}`,
    ...Object.entries(headers).map(([name, value]) => `    -H ${quoted(`${name}: ${value}`)}`),
    "    --data-binary @-",
  ];
  return lines.join(" \\\n").replace("| \\\n", "|\n");
}

/** A fixture case name: what `convotic replay` reads and a file system accepts everywhere. */
const CASE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface SavedFixture {
  readonly body: string;
  readonly golden: string;
}

/**
 * Writes `<dir>/<platform>/<case>.json` (the exact bytes received) and its golden beside it, normalised with the
 * golden context, the layout `convotic replay DIR` reviews. An existing case is never overwritten.
 */
export async function saveFixture(
  access: HandlerAccess,
  request: HttpRequest,
  options: { dir: string; name: string; context: (platform: string) => ContextInput },
): Promise<SavedFixture> {
  if (!CASE_NAME.test(options.name))
    throw new ConfigError(
      `a case name is 1-64 characters of a-z 0-9 . _ - (not starting with . _ -): "${options.name}"`,
    );
  const route = routeSecrets(access, request.url);
  if (route === undefined) throw new ConfigError("the request's route names no configured block or shared route");
  const { platform } = route;
  let golden: string;
  try {
    golden =
      JSON.stringify(access.normalizer.normalize(platform, request.rawBody, options.context(platform)), null, 2) + "\n";
  } catch (error) {
    throw new ConfigError(`the body does not normalise as ${platform}: ${messageOf(error)}`);
  }
  const folder = resolve(options.dir, platform);
  const body = join(folder, `${options.name}.json`);
  const goldenPath = join(folder, `${options.name}.golden.json`);
  await mkdir(folder, { recursive: true });
  try {
    await writeFile(body, request.rawBody, { flag: "wx" });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST")
      throw new ConfigError(`${body} exists already: choose another case name`);
    throw error;
  }
  await writeFile(goldenPath, golden);
  return { body, golden: goldenPath };
}
