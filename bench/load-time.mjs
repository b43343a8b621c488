// Load-time check for issue 24.4: median wall time and CPU time (user + system) of `require("convotic")` and
// `convotic --version` against a bare `node -e 0`, each spawned as its own process, interleaved (the figures in
// README "Install"). Run after `npm run build`; `node bench/load-time.mjs [runs] [package folder]` measures another
// build (a checkout of an older commit, say) the same way.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

const runs = Number(process.argv[2] ?? 15);
const root = resolve(process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const cases = {
  "node -e 0": ["-e", "0"],
  'require("convotic")': ["-e", `require(${JSON.stringify(root)})`],
  "convotic --version": [join(root, "dist/cli/main.js"), "--version"],
};
// GNU time reports the child's CPU time, which a busy shared machine inflates far less than wall time
const gnuTime = existsSync("/usr/bin/time");
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const wall = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
const cpu = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, args] of Object.entries(cases)) {
    const started = process.hrtime.bigint();
    const result = gnuTime
      ? spawnSync("/usr/bin/time", ["-f", "cpu %U %S", process.execPath, ...args], {
          encoding: "utf8",
          stdio: ["ignore", "ignore", "pipe"],
        })
      : spawnSync(process.execPath, args, { stdio: "ignore" });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}: ${result.stderr ?? ""}`);
    wall[name].push(Number(process.hrtime.bigint() - started) / 1e6);
    const times = /cpu ([\d.]+) ([\d.]+)/.exec(result.stderr ?? "");
    if (times) cpu[name].push((Number(times[1]) + Number(times[2])) * 1000);
  }
}
const bareWall = median(wall["node -e 0"]);
const bareCpu = gnuTime ? median(cpu["node -e 0"]) : 0;
console.log(`${root}: median of ${runs} runs each`);
for (const name of Object.keys(cases)) {
  const w = median(wall[name]);
  const line = `${name.padEnd(22)} wall ${w.toFixed(0).padStart(5)} ms (+${(w - bareWall).toFixed(0)})`;
  console.log(
    gnuTime
      ? `${line}   cpu ${median(cpu[name]).toFixed(0).padStart(5)} ms (+${(median(cpu[name]) - bareCpu).toFixed(0)})`
      : line,
  );
}
