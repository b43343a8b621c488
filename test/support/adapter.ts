import { createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer, type Normalizer, type NormalizeResult, type UnifiedEvent } from "../../src/core";
import { FIXTURE_CONTENT_TYPES, fixtureContentType } from "../../src/testing/fixtures";
import { FIXTURES_DIR, fixtureContext } from "./fixtures";

/** One normaliser over the built-in registry, shared by the adapter tests (platform names as run-time strings). */
export const normalizer: Normalizer = createNormalizer({ adapters });

/** HMAC of the bytes, computed here with node:crypto independently of the adapters. */
export function hmacOf(
  algorithm: "sha1" | "sha256",
  secret: string,
  bytes: Uint8Array | string,
  encoding: "hex" | "base64" = "hex",
): string {
  return createHmac(algorithm, secret).update(bytes).digest(encoding);
}

/** The `X-Hub-Signature-256` header Meta sends with these bytes. */
export function metaSigned(bytes: Uint8Array | string, secret: string): Record<string, string> {
  return { "x-hub-signature-256": `sha256=${hmacOf("sha256", secret, bytes)}` };
}

/** The events of one type in a result, typed. */
export function ofType<T extends UnifiedEvent["type"]>(
  result: NormalizeResult | readonly UnifiedEvent[],
  type: T,
): Extract<UnifiedEvent, { type: T }>[] {
  const events = "events" in result ? result.events : result;
  return events.filter((event): event is Extract<UnifiedEvent, { type: T }> => event.type === type);
}

/**
 * What every adapter test needs for one platform: its fixture bodies by name, and normalising a fixture or any
 * body (an object is serialised) in the fixtures' context.
 */
export function adapterTest(platform: string) {
  const context = fixtureContext(platform);
  /** the fixture's file: `<name>.json`, or `.form` / `.xml` for platforms that post those */
  const pathOf = (name: string): string => {
    const found = Object.keys(FIXTURE_CONTENT_TYPES)
      .map((extension) => join(FIXTURES_DIR, platform, `${name}${extension}`))
      .find((path) => existsSync(path));
    return found ?? join(FIXTURES_DIR, platform, `${name}.json`);
  };
  const body = (name: string): Buffer => readFileSync(pathOf(name));
  /** a fixture by name, a JSON text (starting with `{`), bytes, or an object to serialise */
  const run = (input: string | Buffer | object): NormalizeResult => {
    if (typeof input === "string" && !input.startsWith("{")) {
      const path = pathOf(input);
      return normalizer.normalize(platform, readFileSync(path), context, fixtureContentType(path));
    }
    const raw = typeof input === "string" ? input : Buffer.isBuffer(input) ? input : JSON.stringify(input);
    return normalizer.normalize(platform, raw, context);
  };
  return { platform, context, body, run };
}
