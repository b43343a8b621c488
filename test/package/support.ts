import { cpSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";

export const root = join(__dirname, "..", "..");

/** npm passes its own settings to scripts as npm_config_*; a nested npm must read only the project's. */
export const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/**
 * The repository as a fresh clone has it: no dist/ (nor coverage or scratch folders), with our node_modules
 * linked in place of `npm ci`. Builds run there, never in this checkout, whose dist/ other tests are reading.
 */
export function cloneProject(): { work: string; clone: string } {
  const work = mkdtempSync(join(tmpdir(), "convotic-package-"));
  const clone = join(work, "clone");
  const skipped = new Set(["node_modules", "dist", "coverage", ".git"]);
  cpSync(root, clone, {
    recursive: true,
    filter: (path) => {
      const [top] = relative(root, path).split(sep);
      return top === undefined || top === "" || !(skipped.has(top) || top.startsWith(".examples-"));
    },
  });
  symlinkSync(join(root, "node_modules"), join(clone, "node_modules"), "dir");
  return { work, clone };
}
