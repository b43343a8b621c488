// Load-time check for issue 24.4: median wall time of `require("convotic")` and `convotic --version` against a bare
// `node -e 0`, each spawned as its own process (the figures in README "Load time"). Run after `npm run build`.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.argv[2] ?? 15);
const cases = {
  "node -e 0": ["-e", "0"],
  'require("convotic")': ["-e", `require(${JSON.stringify(join(root, "dist/index.js"))})`],
  "convotic --version": [join(root, "dist/cli/main.js"), "--version"],
};
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const timings = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  // interleaved so a burst of load on a shared machine hits every case alike
  for (const [name, args] of Object.entries(cases)) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: "ignore" });
    if (result.status !== 0) throw new Error(`${name} exited ${result.status}`);
    timings[name].push(Number(process.hrtime.bigint() - started) / 1e6);
  }
}
const bare = median([...timings["node -e 0"]]);
for (const [name, values] of Object.entries(timings)) {
  const value = median([...values]);
  console.log(`${name.padEnd(22)} median ${value.toFixed(0).padStart(5)} ms  (+${(value - bare).toFixed(0)} ms over bare node, ${runs} runs)`);
}
