import { existsSync, readdirSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { ContextInput, NormalizeResult } from "../core";

/** A reviewed golden output sits beside its raw body as `<case>.golden.json`; it is never a body itself. */
export const GOLDEN_SUFFIX = ".golden.json";

/**
 * The raw body files a fixture folder may hold, by extension, and the `Content-Type` each is posted and parsed
 * with: JSON for most platforms, forms (Twilio) and XML (WeChat) for the others. Bodies are stored as the exact
 * bytes the platform sends, so the extension is the only place their media type is kept.
 */
export const FIXTURE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".json": "application/json",
  ".form": "application/x-www-form-urlencoded",
  ".xml": "text/xml",
};

export function isRawBodyFile(name: string): boolean {
  return Object.hasOwn(FIXTURE_CONTENT_TYPES, extname(name)) && !name.endsWith(GOLDEN_SUFFIX);
}

/** The `Content-Type` of a raw body file, from its extension (`application/json` for one it does not know). */
export function fixtureContentType(path: string): string {
  const extension = extname(path);
  return Object.hasOwn(FIXTURE_CONTENT_TYPES, extension) ? FIXTURE_CONTENT_TYPES[extension]! : "application/json";
}

/** The case name of a raw body file: its name without the extension (`text.form` → `text`). */
export function fixtureName(path: string): string {
  return basename(path, extname(path));
}

/** The golden file beside a raw body file: `<case>.golden.json`. */
export function goldenPathOf(path: string): string {
  return path.slice(0, path.length - extname(path).length) + GOLDEN_SUFFIX;
}

/** The raw bodies of one fixture folder (`fixtures/<platform>/`), sorted by name; none when it does not exist. */
export function rawBodyFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(isRawBodyFile)
    .sort()
    .map((file) => join(dir, file));
}

/** The golden context: plain strings, so a scaffold can write them into a golden file as they are. */
export interface GoldenContext extends ContextInput {
  readonly workspace_id: string;
  readonly block_id: string;
  readonly received_at: string;
}

/**
 * The context every golden file is produced with (the conformance suite, `test/golden.test.ts`, `convotic replay`
 * without `--to`, `convotic coverage`, the `new-adapter` scaffold): fixed, so outputs are byte-for-byte reproducible
 * on any machine. Declared here once; everything else imports it.
 */
export function defaultContext(platform: string): GoldenContext {
  return { workspace_id: "ws_test", block_id: `blk_${platform}_test`, received_at: "2026-11-22T12:00:00.000Z" };
}

/**
 * The golden text of a result: stable two-space JSON with a trailing newline (what `convotic replay` writes). The
 * events and unhandled records only: `drift` says what the catalogue knows, not what the mapping does, and a
 * golden pins the mapping (docs/drift.md).
 */
export function goldenText(result: NormalizeResult): string {
  return JSON.stringify({ events: result.events, unhandled: result.unhandled }, null, 2) + "\n";
}

/**
 * The URL a fixture is signed for and verified against when nothing else says (the conformance suite, `convotic
 * coverage`): the block route of the golden context's block on a fixed host.
 */
export function fixtureUrl(platform: string): string {
  return `https://convotic.test/webhooks/${defaultContext(platform).block_id}`;
}
