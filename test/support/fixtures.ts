import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { ContextInput } from "../../src/core";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures");
export const GOLDEN_SUFFIX = ".golden.json";

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
  const dir = join(FIXTURES_DIR, platform);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json") && !file.endsWith(GOLDEN_SUFFIX))
    .sort()
    .map((file) => {
      const name = file.slice(0, -".json".length);
      const path = join(dir, file);
      return { platform, name, path, goldenPath: join(dir, name + GOLDEN_SUFFIX), body: readFileSync(path) };
    });
}

/** The golden text of a result: stable two-space JSON with a trailing newline. */
export function goldenText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
