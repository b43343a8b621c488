import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { GOLDEN_SUFFIX, rawBodyFiles } from "../../src/cli/fixtures";
import type { ContextInput } from "../../src/core";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures");

/** The context every golden file was produced with: fixed, so outputs are byte-for-byte reproducible. */
export function fixtureContext(platform: string): ContextInput {
  return { workspace_id: "ws_test", block_id: `blk_${platform}_test`, received_at: "2026-11-22T12:00:00.000Z" };
}

export interface Fixture {
  readonly platform: string;
  readonly name: string;
  readonly path: string;
  readonly goldenPath: string;
  /** the exact bytes of the raw webhook body */
  readonly body: Buffer;
}

/** Raw bodies under fixtures/<platform>/, golden files excluded, sorted by name. */
export function fixturesOf(platform: string): Fixture[] {
  return rawBodyFiles(join(FIXTURES_DIR, platform)).map((path) => {
    const name = basename(path, ".json");
    return { platform, name, path, goldenPath: join(dirname(path), name + GOLDEN_SUFFIX), body: readFileSync(path) };
  });
}

/** The golden text of a result: stable two-space JSON with a trailing newline. */
export function goldenText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
