import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ContextInput, NormalizeResult } from "../core";

/** A reviewed golden output sits beside its raw body as `<case>.golden.json`; it is never a body itself. */
export const GOLDEN_SUFFIX = ".golden.json";

export function isRawBodyFile(name: string): boolean {
  return name.endsWith(".json") && !name.endsWith(GOLDEN_SUFFIX);
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
