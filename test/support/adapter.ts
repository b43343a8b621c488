import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer, type Normalizer, type NormalizeResult, type UnifiedEvent } from "../../src/core";
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
  const body = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, platform, `${name}.json`));
  /** a fixture by name, a JSON text (starting with `{`), bytes, or an object to serialise */
  const run = (input: string | Buffer | object): NormalizeResult => {
    const raw =
      typeof input === "string"
        ? input.startsWith("{")
          ? input
          : body(input)
        : Buffer.isBuffer(input)
          ? input
          : JSON.stringify(input);
    return normalizer.normalize(platform, raw, context);
  };
  return { platform, context, body, run };
}
