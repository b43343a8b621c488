// `prepack` / `postpack`: the packed package.json carries no `prepare` script. A tarball already holds dist/, and
// npm 11 warns about (and with --strict-allow-scripts refuses) a `prepare` of a package installed from a file or
// a URL that the project's `allowScripts` does not list. Clones and git URLs still build through `prepare`: the
// script is removed for the moment of packing only, after building, and put back by `postpack`.
const { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const root = join(__dirname, "..");
const manifest = join(root, "package.json");
const saved = join(root, ".package.json.packing");

if (process.argv[2] === "strip") {
  // dist/ is what the tarball is for: build it if it is missing or stale, as `prepare` would have
  require("./ensure-built.js");
  if (process.exitCode) process.exit(process.exitCode);
  copyFileSync(manifest, saved);
  const json = JSON.parse(readFileSync(manifest, "utf8"));
  delete json.scripts.prepare;
  writeFileSync(manifest, JSON.stringify(json, null, 2) + "\n");
} else if (process.argv[2] === "restore") {
  if (existsSync(saved)) {
    copyFileSync(saved, manifest);
    rmSync(saved);
  }
} else {
  process.stderr.write("usage: node scripts/pack-manifest.js strip|restore\n");
  process.exitCode = 2;
}
