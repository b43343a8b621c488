// Where ours spends its time on single bodies: runs processWebhook under `node --cpu-prof`, then sums the
// profile's self time by category (zod, node:crypto, GC, our modules, …) and by function.
//   npm run build && node bench/profile.mjs [--platform whatsapp,line] [--seconds 8] [--top 25] [--keep DIR]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { loadLibrary, ROOT } from "./lib/library.mjs";
import { batchBody, singleBodies } from "./lib/corpus.mjs";
import { ours } from "./lib/contenders.mjs";

const { values } = parseArgs({
  options: {
    platform: { type: "string" },
    batch: { type: "string" },
    seconds: { type: "string", default: "8" },
    top: { type: "string", default: "25" },
    keep: { type: "string" },
    child: { type: "boolean", default: false },
  },
});

function loop(runs, seconds) {
  const until = performance.now() + seconds * 1000;
  let ops = 0;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) for (const [run, body] of runs) run(body);
    ops += 50 * runs.length;
  }
  return ops;
}
/** The only samples the summary counts: those under this frame, and GC between its first and last sample. */
function profiledLoop(runs, seconds) {
  return loop(runs, seconds);
}

if (values.child) {
  // the profiled process: ours on the chosen bodies, round-robin, for a bounded time
  const lib = loadLibrary();
  const normalizer = lib.createConvotic();
  const wanted = values.platform?.split(",");
  const bodies =
    values.batch !== undefined
      ? [batchBody(lib, values.batch)]
      : singleBodies(lib).filter((b) => wanted === undefined || wanted.includes(b.platform));
  const runs = bodies.map((body) => [ours(normalizer, body.platform), body]);
  const seconds = Number(values.seconds);
  // warm-up outside the window the summary counts (module loading, JIT tiers), then the profiled loop
  loop(runs, Math.min(2, seconds / 4));
  const cpuBefore = process.cpuUsage();
  const ops = profiledLoop(runs, seconds);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUsPerOp = (cpu.user + cpu.system) / ops;
  process.stdout.write(JSON.stringify({ ops, cpuUsPerOp, bodies: bodies.map((b) => b.label) }) + "\n");
  process.exit(0);
}

const dir = values.keep ?? mkdtempSync(join(tmpdir(), "convotic-profile-"));
const args = [
  "--seconds",
  values.seconds,
  ...(values.platform ? ["--platform", values.platform] : []),
  ...(values.batch ? ["--batch", values.batch] : []),
];
const child = spawnSync(
  process.execPath,
  [
    "--cpu-prof",
    "--cpu-prof-dir",
    dir,
    "--cpu-prof-interval",
    "100",
    new URL(import.meta.url).pathname,
    ...args,
    "--child",
  ],
  {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 120_000,
  },
);
if (child.status !== 0) throw new Error(`profiled run failed (${child.status ?? child.signal})`);
const run = JSON.parse(child.stdout.trim());
const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
const profile = JSON.parse(readFileSync(join(dir, file), "utf8"));
if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });

// self time per node, from the samples and their time deltas
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
function under(id, name) {
  for (let node = byId.get(id); node !== undefined; node = byId.get(parent.get(node.id)))
    if (node.callFrame.functionName === name) return true;
  return false;
}
const inLoop = profile.samples.map((id) => under(id, "profiledLoop"));
const first = inLoop.indexOf(true);
const last = inLoop.lastIndexOf(true);
const selfUs = new Map();
profile.samples.forEach((id, i) => {
  if (i < first || i > last) return;
  const frame = byId.get(id).callFrame.functionName;
  if (!inLoop[i] && frame !== "(garbage collector)") return;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});

function category(frame) {
  const { url, functionName } = frame;
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(idle)" || functionName === "(program)" || functionName === "(root)") return functionName;
  if (url.includes("/node_modules/zod/")) return "zod";
  if (url === "" && functionName === "") return undefined; // zod compiles object parsers with new Function: no URL, charged to its caller
  if (url.includes("/node_modules/date-fns/")) return "date-fns";
  if (url.includes("/dist/")) return `ours: ${relative(join(ROOT, "dist"), new URL(url).pathname)}`;
  if (url.includes("/bench/")) return "bench harness (the loop)";
  if (url.startsWith("node:internal/crypto") || url === "node:crypto") return "node:crypto";
  if (url.startsWith("node:")) return `node: ${url.slice(5)}`;
  return undefined; // a native frame: charged to its caller
}
/** A native frame (JSON.parse, a hash digest, a regexp…) is charged to the first JS caller, named after it. */
function attribute(id) {
  let node = byId.get(id);
  const leaf = node.callFrame.functionName || "(anonymous)";
  while (node !== undefined) {
    const found = category(node.callFrame);
    if (found !== undefined) return { category: found, leaf };
    node = byId.get(parent.get(node.id));
  }
  return { category: "(unknown)", leaf };
}

const categories = new Map();
const functions = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  const { category: cat, leaf } = attribute(id);
  if (cat === "(idle)") continue;
  total += us;
  const group = cat.startsWith("ours: ") ? "ours (all modules)" : cat;
  categories.set(group, (categories.get(group) ?? 0) + us);
  if (group === "ours (all modules)") categories.set(cat, (categories.get(cat) ?? 0) + us);
  const where = node.callFrame.url
    ? `${node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, "$1/")}:${node.callFrame.lineNumber + 1}`
    : `native, in ${cat}`;
  const key = `${leaf}  (${where})`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}
// inclusive time of the pipeline's steps (dist/core/pipeline.js) and of every adapter's normalize
const steps = new Map();
profile.samples.forEach((id, i) => {
  if (i < first || i > last || !inLoop[i]) return;
  const seen = new Set();
  for (let node = byId.get(id); node !== undefined; node = byId.get(parent.get(node.id))) {
    const { url, functionName } = node.callFrame;
    let step;
    if (url.endsWith("/dist/core/pipeline.js") && functionName !== "") step = `pipeline ${functionName}`;
    else if (/\/dist\/adapters\/[^/]+\/normalize\.js$/.test(url) && /^normalize/.test(functionName))
      step = "adapter normalize (mapping)";
    else if (url.endsWith("/dist/core/engine/ids.js") && /Id$/.test(functionName) && functionName !== "hashId")
      step = `ids ${functionName}`;
    if (step !== undefined && !seen.has(step)) {
      seen.add(step);
      steps.set(step, (steps.get(step) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
  }
});

const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;
// the profile's deltas are wall time (inflated on a loaded machine): shares of it, scaled to the CPU time per op
const perOp = (us) => `${((us / total) * run.cpuUsPerOp).toFixed(2)} µs/op`;
console.log(
  `profile of ours on ${run.bodies.join(", ")}: ${run.ops} ops, ${run.cpuUsPerOp.toFixed(1)} µs of process CPU per op (mean)\n`,
);
console.log("self time by category (native frames charged to their JS caller):");
for (const [name, us] of [...categories].sort((a, b) => b[1] - a[1]))
  console.log(`  ${name.startsWith("ours: ") ? "   " : ""}${pct(us).padStart(6)}  ${perOp(us).padStart(14)}  ${name}`);
console.log(`\ntop ${values.top} functions by self time:`);
for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`  ${pct(us).padStart(6)}  ${perOp(us).padStart(14)}  ${name}`);
console.log("\ninclusive time of the pipeline steps (a step includes the steps it calls):");
for (const [name, us] of [...steps].sort((a, b) => b[1] - a[1]))
  console.log(`  ${pct(us).padStart(6)}  ${perOp(us).padStart(14)}  ${name}`);
