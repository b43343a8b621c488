// The callgrind client requests for JavaScript (see callgrind.c), built on first use with node-gyp against the
// running Node's headers. Outside valgrind every call is a no-op and running() is false.
"use strict";
const { execFileSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { dirname, join } = require("node:path");

const ADDON = join(__dirname, "build", "Release", "callgrind.node");

/** node-gyp: the one npm ships with (offline), else npx's; headers from the running Node's prefix when present. */
function nodeGyp() {
  const npmDir = join(dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp");
  const bundled = join(npmDir, "bin", "node-gyp.js");
  return existsSync(bundled) ? [process.execPath, [bundled]] : ["npx", ["--yes", "node-gyp"]];
}

function build() {
  const [command, prefix] = nodeGyp();
  const prefixDir = join(dirname(process.execPath), "..");
  const headers = existsSync(join(prefixDir, "include", "node", "node_api.h")) ? [`--nodedir=${prefixDir}`] : [];
  execFileSync(command, [...prefix, "rebuild", ...headers], { cwd: __dirname, stdio: ["ignore", "pipe", "inherit"] });
}

function load() {
  if (!existsSync(ADDON)) build();
  return require(ADDON);
}

module.exports = { load, build, ADDON };
