// `--baseline REV`: builds the library as it was at a git revision into a temporary directory, so ours and
// ours-at-REV run side by side in the same interleaved rounds (before/after figures from one run).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, wholeLibrary } from "./library.mjs";

export function buildBaseline(rev, log) {
  const commit = execFileSync("git", ["rev-parse", "--verify", `${rev}^{commit}`], {
    cwd: ROOT,
    encoding: "utf8",
  }).trim();
  const dir = mkdtempSync(join(tmpdir(), "convotic-baseline-"));
  log(`baseline: building ${rev} (${commit.slice(0, 12)}) in ${dir}`);
  const archive = execFileSync(
    "git",
    ["archive", "--format=tar", commit, "src", "tsconfig.json", "tsconfig.build.json", "package.json"],
    { cwd: ROOT, maxBuffer: 256 * 2 ** 20 },
  );
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  execFileSync(
    process.execPath,
    [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    { cwd: dir, stdio: ["ignore", "inherit", "inherit"] },
  );
  const lib = wholeLibrary(join(dir, "dist"));
  return { rev, commit, lib, dist: join(dir, "dist"), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
