import { adapters } from "../../src/adapters";
import {
  ConvoticError,
  createNormalizer,
  signRequest,
  UnifiedEventSchema,
  type ErrorCode,
  type NormalizeResult,
  type Normalizer,
} from "../../src/core";
import { createWebhookHandler } from "../../src/http";
import { fixtureContext } from "../support/fixtures";
import { TEST_SECRETS } from "../support/secrets";

/*
 * The hostile corpus and the property tests share this: every body is signed with the block's test secret (so
 * the parser is reached), posted through the real webhook handler for its status, and normalised through the
 * same pipeline for the envelopes and unhandled records it yields.
 */
export const normalizer: Normalizer = createNormalizer({ adapters });
export const PLATFORMS = normalizer.platforms;

const blocks = PLATFORMS.map((platform) => ({
  id: `hostile-${platform}`,
  platform,
  workspace_id: "ws_hostile",
  secrets: TEST_SECRETS[platform]!.valid,
}));
const silent = { debug() {}, info() {}, warn() {}, error() {} };
export const handler = createWebhookHandler({ normalizer, blocks, logger: silent, bodyLimit: 1024 * 1024 });

export interface Outcome {
  readonly status: number;
  /** what the pipeline made of the body, or the typed error it refused it with */
  readonly result: NormalizeResult | ConvoticError;
}

/**
 * The request as the platform would send these bytes: its first content type, its signature (in headers, or in
 * the query for WeChat) and the body it sends (WeChat's safe mode encrypts it).
 */
function sign(platform: string, body: Buffer): { url: string; headers: Record<string, string>; rawBody: Uint8Array } {
  const adapter = normalizer.adapterFor(platform);
  // the URL the handler verifies against when there is no Host header: http://localhost + the path
  const url = `http://localhost/webhooks/hostile-${platform}`;
  const signed = signRequest(adapter, body, TEST_SECRETS[platform]!.valid, { url });
  const contentType = adapter.contentTypes?.[0] ?? "application/json";
  return { url: signed.url!, headers: { "content-type": contentType, ...signed.headers }, rawBody: signed.rawBody };
}

/** The platforms whose bodies are JSON: the JSON corpus and the JSON property tests run for these. */
export const JSON_PLATFORMS = PLATFORMS.filter(
  // the first type is what the platform posts (Twilio also takes JSON, but only with bodySHA256 in the URL)
  (platform) => (normalizer.adapterFor(platform).contentTypes?.[0] ?? "application/json") === "application/json",
);

/** Posts the signed body through the handler and normalises it; any throw that is not a ConvoticError escapes. */
export async function deliver(
  platform: string,
  body: Buffer | string,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<Outcome> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const signed = sign(platform, bytes);
  const headers = { ...signed.headers, ...extraHeaders };
  const { url, rawBody } = signed;
  const response = await handler({ method: "POST", url, headers, rawBody });
  // the edge's own limits (body size, keys and items, content encoding) refuse before the pipeline, which has none
  if (response.status === 413 || response.status === 415) {
    const { code, message } = (JSON.parse(response.body) as { error: { code: string; message: string } }).error;
    return {
      status: response.status,
      result: new ConvoticError(message, { code: code as ErrorCode, status: response.status }),
    };
  }
  let result: NormalizeResult | ConvoticError;
  try {
    result = normalizer.processWebhook({
      platform,
      rawBody,
      headers,
      url,
      secrets: TEST_SECRETS[platform]!.valid,
      context: fixtureContext(platform),
    });
  } catch (error) {
    if (!(error instanceof ConvoticError)) throw error;
    result = error;
  }
  return { status: response.status, result };
}

/** What every outcome must satisfy, whatever the input: the production bar of docs/reliability.md. */
export function expectSound(outcome: Outcome): void {
  expect(outcome.status).toBeLessThan(500);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_NAMES);
  if (outcome.result instanceof ConvoticError) {
    expect(outcome.result.status).toBeGreaterThanOrEqual(400);
    expect(outcome.result.status).toBeLessThan(500);
    expect(outcome.status).toBe(outcome.result.status);
    return;
  }
  expect(outcome.status).toBe(200);
  for (const event of outcome.result.events) expect(UnifiedEventSchema.safeParse(event).success).toBe(true);
  const ids = outcome.result.events.map((event) => event.id);
  expect(new Set(ids).size).toBe(ids.length);
  // a consumer that serialises what it was given must not throw (deep raw values are bounded)
  expect(() => JSON.stringify(outcome.result)).not.toThrow();
}

export function counts(outcome: Outcome): { status: number; events: number; unhandled: number; code?: string } {
  const result = outcome.result;
  return result instanceof ConvoticError
    ? { status: outcome.status, events: 0, unhandled: 0, code: result.code }
    : { status: outcome.status, events: result.events.length, unhandled: result.unhandled.length };
}

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Path = readonly (string | number)[];

/** Every path to a value inside a JSON document, the root excluded, parents before children. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** A deep copy with the value at `path` replaced (or deleted, with `undefined`); own keys stay data. */
export function withAt(value: Json, path: Path, replacement: Json | undefined): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    Object.defineProperty(parent, last, { value: replacement, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A value of another JSON type than `value`, to put where `value` belongs. */
export function wrongTypeFor(value: Json): Json {
  if (typeof value === "string") return 7;
  if (typeof value === "number") return "x";
  if (typeof value === "boolean") return "true";
  if (value === null) return {};
  return Array.isArray(value) ? {} : [];
}
