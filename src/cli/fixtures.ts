import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

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
