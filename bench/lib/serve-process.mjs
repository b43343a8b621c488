// `convotic serve` as a child process for the HTTP phases: the built CLI on an ephemeral port, warn-level logs, the
// URL of one of its routes once it listens, its CPU time from /proc, and a SIGTERM stop that waits for the exit.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./library.mjs";

/** Starts serve with `config`; `url` resolves to `<listening address><route>`. */
export function startServe(config, route) {
  const child = spawn(
    process.execPath,
    [join(ROOT, "dist", "cli", "main.js"), "serve", "--config", config, "--port", "0", "--log-level", "warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  const url = new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString();
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (found) resolve(`${found[1]}${route}`);
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${stderr.slice(-500)}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return { child, url, exited, cpuMs: () => cpuMsOf(child.pid), stop: () => (child.kill("SIGTERM"), exited) };
}

/**
 * A process's CPU time (user + system, ms) from /proc, or undefined elsewhere. On a shared machine events/s move
 * with the neighbours' load; CPU per event much less, so both are reported.
 */
function cpuMsOf(pid) {
  const path = `/proc/${pid}/stat`;
  if (!existsSync(path)) return undefined;
  const fields = readFileSync(path, "utf8").split(") ")[1].split(" ");
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
