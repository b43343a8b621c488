// The library under test, loaded from the build (`npm run bench` builds first), so the bench measures what ships.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BENCH_DIR = join(ROOT, "bench");
// BENCH_DIST: another build (a copy of dist/ inside the repository, so it finds node_modules), for before/after runs
export const DIST = process.env.BENCH_DIST ?? join(ROOT, "dist");

export function loadLibrary() {
  if (!existsSync(join(DIST, "index.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (`npm run bench` does it for you)");
  }
  return wholeLibrary(DIST);
}

/** The entry points whose names the bench reads: the root and, since the surface was curated, its subpaths. */
const ENTRIES = [
  "index.js",
  "public/adapters.js",
  "public/http.js",
  "public/sinks.js",
  "public/delivery.js",
  "public/formats.js",
  "public/observe.js",
];

/**
 * Every name of a build's entry points in one object, so the bench reads `eventId` or `createSink` the same way
 * from this build and from a baseline built before the root export was curated (whose root had them all).
 */
export function wholeLibrary(dist) {
  const load = createRequire(import.meta.url);
  return Object.assign(
    {},
    ...ENTRIES.filter((entry) => existsSync(join(dist, entry)))
      .reverse()
      .map((entry) => load(join(dist, entry))),
  );
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
