import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";

export const root = join(__dirname, "..", "..");

/** npm passes its own settings to scripts as npm_config_*; a nested npm must read only the project's. */
export const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)),
);

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

export const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
  license: string;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};
const rootLock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; peer?: boolean }>;
};

export function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, { cwd, env: cleanEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export interface PackResult {
  filename: string;
  integrity: string;
  entryCount: number;
  files: { path: string }[];
}

/**
 * The package as a user gets it. A copy of the repository without dist/ (what a clone or a git URL gives) is
 * packed with `npm pack`, whose `prepare` script must build dist/; the tarball is installed into an empty
 * project (`consumer`, under `work`) offline, from a lock file derived from ours: npm ci already put every
 * tarball in the npm cache, so the install needs no registry.
 */
export function packAndInstall(): { work: string; pack: PackResult; consumer: string } {
  const { work, clone } = cloneProject();
  const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", work], clone)) as PackResult[];
  const pack = packed[0]!;

  const consumer = join(work, "consumer");
  mkdirSync(consumer);
  cpSync(join(work, pack.filename), join(consumer, pack.filename));
  const spec = `file:${pack.filename}`;
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", version: "1.0.0", private: true, dependencies: { convotic: spec } }),
  );
  // our lock file's run-time part (every entry npm ci did not mark dev-only) is exactly the dependency tree of
  // convotic, and the npm cache holds those tarballs: a lock file makes the install need no registry metadata
  const runtime = Object.fromEntries(
    Object.entries(rootLock.packages).filter(
      ([path, entry]) => path !== "" && entry.dev !== true && entry.devOptional !== true,
    ),
  );
  const lock = {
    name: "consumer",
    version: "1.0.0",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "consumer", version: "1.0.0", dependencies: { convotic: spec } },
      "node_modules/convotic": {
        version: rootManifest.version,
        resolved: spec,
        integrity: pack.integrity,
        license: rootManifest.license,
        dependencies: rootManifest.dependencies,
        bin: rootManifest.bin,
        engines: rootManifest.engines,
        peerDependencies: rootManifest.peerDependencies,
        peerDependenciesMeta: rootManifest.peerDependenciesMeta,
      },
      ...runtime,
    },
  };
  writeFileSync(join(consumer, "package-lock.json"), JSON.stringify(lock, null, 2));
  // Offline, better-sqlite3's install script cannot fetch its prebuilt binary and compiles SQLite from source, which
  // takes minutes on a 2-core machine (twice: this file and scaffold.test.ts). The install runs without scripts
  // (no other run-time dependency has one) and the consumer gets the binary this checkout built from the same
  // version, so the outbox works there as after a normal install.
  npm(["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], consumer);
  cpSync(
    join(root, "node_modules", "better-sqlite3", "build"),
    join(consumer, "node_modules", "better-sqlite3", "build"),
    { recursive: true },
  );
  return { work, pack, consumer };
}
