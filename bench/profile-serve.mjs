// Where `convotic serve` spends its CPU per request: runs it under `node --cpu-prof` while autocannon posts distinct
// signed WhatsApp bodies, then sums the profile's self time by function (and the server's CPU µs per request).
//   npm run build && node bench/profile-serve.mjs [--seconds 6] [--top 40] [--keep DIR] [--dist DIR]
// --dist runs the serve of another build (a copy of dist/ from an earlier commit, kept inside the repository so it
// finds node_modules), to read a change's before and after one after the other.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { loadLibrary, ROOT, DIST, BENCH_DIR } from "./lib/library.mjs";
import { bodyCursor, distinctWhatsAppBodies, SECRETS } from "./lib/corpus.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "6" },
    top: { type: "string", default: "40" },
    keep: { type: "string" },
    connections: { type: "string", default: "50" },
    dist: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "convotic-serve-profile-"));
const lib = loadLibrary();
const pool = distinctWhatsAppBodies(lib, Math.ceil(15000 * (seconds + 2)), `prof${process.pid}`);
const config = join(dir, "convotic.json");
writeFileSync(
  config,
  JSON.stringify({ blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws_bench", secrets: SECRETS.whatsapp }] }),
);
const child = spawn(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-dir",
    dir,
    "--cpu-prof-interval",
    "200",
    join(values.dist ?? DIST, "cli", "main.js"),
    "serve",
    "--config",
    config,
    "--port",
    "0",
    "--host",
    "127.0.0.1",
  ],
  { stdio: ["ignore", "ignore", "pipe"] },
);
let url;
await new Promise((resolve, reject) => {
  let text = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    if (url) return;
    text += chunk;
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
    if (match) {
      url = `${match[1]}/webhooks/wa`;
      resolve();
    }
  });
  child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${text.slice(-400)}`)));
});
const autocannon = createRequire(join(BENCH_DIR, "package.json"))("autocannon");
const cursor = bodyCursor(pool);
const run = (duration) =>
  new Promise((resolve, reject) =>
    autocannon(
      {
        url,
        method: "POST",
        connections: Number(values.connections),
        duration,
        requests: [{ method: "POST", setupRequest: (r) => ({ ...r, ...cursor.next() }) }],
      },
      (e, r) => (e ? reject(e) : resolve(r)),
    ),
  );
const warm = await run(2);
const cpu0 = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
const result = await run(seconds);
const cpu1 = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
const ticks = (s) => Number(s[11]) + Number(s[12]);
const measured = result["2xx"];
// the profile spans the warm-up too: per-request figures divide by every request served
const served = measured + warm["2xx"];
console.log(
  `served ${measured} in ${seconds} s (${Math.round(measured / seconds)} req/s), server CPU ${(((ticks(cpu1) - ticks(cpu0)) * 10000) / measured).toFixed(1)} µs/req, non-2xx ${result.non2xx}, wrapped ${cursor.wrapped}`,
);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
if (!file) {
  console.log(`no profile in ${dir}`);
  process.exit(1);
}
const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas;
let total = 0;
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || "(anon)"} ${f.url ? relative(ROOT, f.url.replace("file://", "")) : ""}:${f.lineNumber + 1}`;
  const d = deltas[i] ?? 0;
  total += d;
  self.set(key, (self.get(key) ?? 0) + d);
});
const idle = [...self].filter(([k]) => k.startsWith("(idle)")).reduce((a, [, v]) => a + v, 0);
const busy = total - idle;
const cats = new Map();
for (const [k, v] of self) {
  if (k.startsWith("(idle)")) continue;
  const c = k.includes("node_modules/prom-client")
    ? "prom-client"
    : k.includes(" dist/")
      ? k.split(" ")[1].split(":")[0]
      : k.includes(" node:")
        ? k.split(" ")[1].split(":").slice(0, 2).join(":")
        : k.startsWith("(garbage")
          ? "GC"
          : k.startsWith("(program)")
            ? "(program)"
            : "other/native";
  cats.set(c, (cats.get(c) ?? 0) + v);
}
console.log(`\nbusy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s; µs per request by file:`);
for (const [k, v] of [...cats].sort((a, b) => b[1] - a[1]).slice(0, 30))
  console.log(`${(v / served).toFixed(2).padStart(8)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
console.log(`\nµs per request by function (self):`);
for (const [k, v] of [...self]
  .filter(([k]) => !k.startsWith("(idle)"))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(values.top)))
  console.log(`${(v / served).toFixed(2).padStart(8)}  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
console.log(`\nprofile: ${join(dir, file)}`);
