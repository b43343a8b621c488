// The library under test, loaded from the build (`npm run bench` builds first), so the bench measures what ships.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BENCH_DIR = join(ROOT, "bench");
export const DIST = join(ROOT, "dist");

export function loadLibrary() {
  if (!existsSync(join(DIST, "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (`npm run bench` does it for you)");
  }
  return createRequire(import.meta.url)(join(DIST, "index.js"));
}

/**
 * Loads a bench/ dependency, or says why it is not available (CI installs only the root). A bare import from
 * bench/lib resolves through bench/node_modules first.
 */
export async function loadPeer(name) {
  try {
    return { module: await import(name), skipped: undefined };
  } catch (error) {
    if (error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes(`'${name}'`)) {
      return { module: undefined, skipped: `${name} is not installed (npm --prefix bench ci)` };
    }
    return { module: undefined, skipped: `${name} failed to load: ${error.message}` };
  }
}
