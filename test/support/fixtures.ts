import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fixtureContentType, fixtureName, goldenPathOf, rawBodyFiles } from "../../src/testing/fixtures";

export const FIXTURES_DIR = join(__dirname, "..", "..", "fixtures");

export { defaultContext as fixtureContext } from "../../src/testing/fixtures";

export interface Fixture {
  readonly platform: string;
  readonly name: string;
  readonly path: string;
  readonly goldenPath: string;
  /** the exact bytes of the raw webhook body */
  readonly body: Buffer;
  /** from the file's extension: `application/json`, or a form (`.form`) or XML (`.xml`) */
  readonly contentType?: string;
}

/** Raw bodies under fixtures/<platform>/, golden files excluded, sorted by name. */
export function fixturesOf(platform: string): Fixture[] {
  return rawBodyFiles(join(FIXTURES_DIR, platform)).map((path) => ({
    platform,
    name: fixtureName(path),
    path,
    goldenPath: goldenPathOf(path),
    body: readFileSync(path),
    contentType: fixtureContentType(path),
  }));
}

/** The golden text of a result: stable two-space JSON with a trailing newline. */
export function goldenText(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}
