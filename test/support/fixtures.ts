import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { GOLDEN_SUFFIX, rawBodyFiles } from "../../src/testing/fixtures";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures");

export { defaultContext as fixtureContext } from "../../src/testing/fixtures";

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
