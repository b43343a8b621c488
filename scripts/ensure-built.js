// `prestart`: builds dist/ only when it is missing or older than a source file, so `npm start` right after
// `npm ci` (whose `prepare` built it) listens at once instead of rebuilding every time.
const { existsSync, readdirSync, statSync } = require("node:fs");
const { join } = require("node:path");
const { spawnSync } = require("node:child_process");

const root = join(__dirname, "..");
const built = join(root, "dist", "cli", "main.js");

/** The newest modification time among the files that go into the build. */
function newest(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), 0);
}

const inputs = ["src", "tsconfig.json", "tsconfig.build.json"].map((name) => join(root, name)).filter(existsSync);
const stale = !existsSync(built) || Math.max(...inputs.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  // stdout is the server's events (`npm start -s | jq`): the build talks on stderr
  const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: ["ignore", 2, 2] });
  process.exitCode = result.status ?? 1;
}
