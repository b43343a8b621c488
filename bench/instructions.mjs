// `npm run bench:instructions`: instructions per body and per HTTP request, counted by valgrind's callgrind, for
// the floor (HMAC + JSON.parse), ours, the peers on their own platforms, batches of 100, and `convotic serve` against
// a hand-written receiver. Each contender runs in its own process under
// `valgrind --tool=callgrind --instr-atstart=no`: N iterations of warm-up, then the counts are zeroed and
// instrumentation started (bench/callgrind, a tiny N-API addon issuing the client requests), then 3 windows of N
// iterations each closed by a dump (bench/lib/instr-windows.mjs), and the figure is the windows' median. Beside them, from plain (not valgrind) processes: V8 heap bytes allocated per body, and
// CPU µs per body over --runs independent processes (median and range).
//   node bench/instructions.mjs [--n 200] [--runs 3] [--only single,batch,peer,http] [--json FILE] [--free-digest]
// --free-digest: an experiment, not a contender. In each in-process contender `crypto.hash` (the one-shot digest
// the ids use) returns the last 32 characters of its input instead of a SHA-256, so ours' count is what it would
// be if an event's ids cost nothing to digest: an upper bound on what any id scheme could save (docs/performance.md,
// "Fourth round"). The HMACs of the floor and of verify do not use it and are unchanged.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { getHeapSpaceStatistics } from "node:v8";
import { PerformanceObserver } from "node:perf_hooks";
import { loadLibrary, ROOT } from "./lib/library.mjs";
import { MICRO_IDS, setUp } from "./lib/instr-contenders.mjs";
import { HTTP_IDS, httpWindow } from "./lib/instr-http.mjs";
import { instructionReport } from "./lib/instr-report.mjs";
import { median, perOp, WINDOWS, windowTotals } from "./lib/instr-windows.mjs";

const SELF = fileURLToPath(import.meta.url);
const { values } = parseArgs({
  options: {
    n: { type: "string", default: "5000" },
    "http-n": { type: "string" },
    runs: { type: "string", default: "3" },
    only: { type: "string", default: "single,batch,peer,http" },
    json: { type: "string" },
    child: { type: "string" },
    mode: { type: "string" },
    instructions: { type: "boolean", default: false }, // accepted so `npm run bench -- --instructions` forwards here
    "free-digest": { type: "boolean", default: false },
  },
});
const N = Number(values.n);
const log = (text) => process.stderr.write(`bench:instructions: ${text}\n`);

/**
 * Bytes in the young generation (new space and its large objects): every allocation lands there first, and with a
 * semi-space far larger than the window allocates (--max-semi-space-size) no scavenge runs in it, so the delta over
 * the window is what it allocated on the V8 heap (Buffer contents outside the heap are not counted).
 */
function youngBytes() {
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name === "new_space" || space.space_name === "new_large_object_space")
    .reduce((sum, space) => sum + space.space_used_size, 0);
}

/** Counts the digests `crypto.hash` was asked for after `freeDigest()`, so a run can show the library used it. */
let freeDigests = 0;

/** `crypto.hash` made free (see --free-digest); the library reads it once, when it loads, so this comes first. */
function freeDigest() {
  createRequire(import.meta.url)("node:crypto").hash = (_algorithm, data) => {
    freeDigests += 1;
    return data.length >= 32 ? data.slice(data.length - 32) : data.padEnd(32, "x");
  };
}

/** The child: one contender, one window, one JSON line on stdout. */
async function child(id, mode) {
  if (values["free-digest"]) freeDigest();
  const lib = loadLibrary();
  const contender = await setUp(lib, id);
  const callgrind = mode === "instructions" ? createRequire(import.meta.url)("./callgrind/index.cjs").load() : null;
  // a batch is 100 events: its hot paths warm up 100 times faster, and each op costs 100 bodies
  const n = id.startsWith("batch/") ? Math.max(10, Math.round(N / 20)) : N;
  const iterations = mode === "cpu" ? n * 4 : n;
  // a synchronous contender runs in a synchronous loop: awaiting each op would charge it the microtask round trip
  const run = contender.run;
  // the first op tells a promise from a count; it is awaited, so no op of the warm-up overlaps another
  const first = run();
  const loop =
    first instanceof Promise
      ? async (count) => {
          let handled = 0;
          for (let i = 0; i < count; i += 1) handled += await run();
          return handled;
        }
      : (count) => {
          let handled = 0;
          for (let i = 0; i < count; i += 1) handled += run();
          return handled;
        };
  await first;
  let events = await loop(n);
  if (events !== n * contender.events) throw new Error(`${id}: warm-up handled ${events} events`);
  // ours makes ids, so a free digest that the library never called would be an experiment that did not happen
  if (values["free-digest"] && id.endsWith("/ours") && freeDigests === 0)
    throw new Error(`${id}: --free-digest, but the library never called crypto.hash`);
  // idle a moment: optimised code the warm-up asked for is compiled on other threads, which must not land in the window
  await new Promise((resolve) => setTimeout(resolve, mode === "instructions" ? 2000 : 200));
  let gcs = 0;
  const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  let heapBefore;
  let cpuBefore;
  if (mode === "alloc") {
    globalThis.gc();
    observer.observe({ entryTypes: ["gc"] });
    heapBefore = youngBytes();
  }
  if (mode === "cpu") cpuBefore = process.cpuUsage();
  // BENCH_TRACE_WINDOW=1 with --trace-opt shows what V8 still compiles inside the window
  if (process.env.BENCH_TRACE_WINDOW) process.stderr.write("window: start\n");
  // under callgrind, WINDOWS windows back to back: each dump writes its window's counts to a part file of its own
  // and zeroes them, so the next window starts from nothing; instrumentation stays on between them
  const windows = callgrind ? WINDOWS : 1;
  if (callgrind) {
    callgrind.zero();
    callgrind.start();
  }
  for (let w = 1; w <= windows; w += 1) {
    events = await loop(iterations);
    if (callgrind) callgrind.dump(`window ${w}`);
    if (events !== iterations * contender.events) throw new Error(`${id}: window ${w} handled ${events} events`);
  }
  if (callgrind) callgrind.stop();
  if (process.env.BENCH_TRACE_WINDOW) process.stderr.write("window: stop\n");
  const result = { id, mode, n: iterations, windows, events_per_op: contender.events, body_bytes: contender.bytes };
  if (mode === "cpu") {
    const cpu = process.cpuUsage(cpuBefore);
    result.cpu_us = (cpu.user + cpu.system) / iterations;
  }
  if (mode === "alloc") {
    result.heap_bytes = (youngBytes() - heapBefore) / iterations;
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    result.gcs = gcs;
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (chunk) => (out += chunk));
    proc.stderr.on("data", (chunk) => (err += chunk));
    proc.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} exited ${code}: ${err.slice(-800)}`)),
    );
  });
}

const lastJson = (out) => JSON.parse(out.trim().split("\n").at(-1));

/**
 * V8 with every helper thread's work on the main thread (`--single-threaded`: no concurrent compilation, marking,
 * sweeping or parallel scavenge). All of it is still counted; what changes is when: an optimised compile the
 * warm-up asked for is done before the window instead of landing in it whenever a busy machine schedules its
 * thread. Counts then repeat to about 0.3% (58.68k, 58.54k, 58.53k for Telegram); without it they swung 60k–86k.
 */
const V8_SERIAL = ["--single-threaded"];

function valgrindPrefix(outFile) {
  return [
    "valgrind",
    "--tool=callgrind",
    "--instr-atstart=no",
    `--callgrind-out-file=${outFile}`,
    `--log-file=${outFile}.log`,
  ];
}

async function micro(id, tmp, runs) {
  const outFile = join(tmp, `cg.${id.replaceAll(/[^\w]+/g, "_")}.out`);
  const childArgs = [SELF, "--child", id, "--n", String(N), ...(values["free-digest"] ? ["--free-digest"] : [])];
  const counted = lastJson(
    await run("valgrind", [
      ...valgrindPrefix(outFile).slice(1),
      process.execPath,
      ...V8_SERIAL,
      ...childArgs,
      "--mode",
      "instructions",
    ]),
  );
  if (counted.windows !== WINDOWS) throw new Error(`${id}: counted ${counted.windows} windows, not ${WINDOWS}`);
  const counts = perOp(windowTotals(outFile), counted.n);
  // a young generation fixed at 256 MB, far more than a window allocates: no scavenge runs inside it
  const heapFlags = ["--expose-gc", "--min-semi-space-size=256", "--max-semi-space-size=256"];
  const alloc = lastJson(await run(process.execPath, [...heapFlags, ...childArgs, "--mode", "alloc"]));
  const cpu = [];
  for (let r = 0; r < runs; r += 1)
    cpu.push(lastJson(await run(process.execPath, [...childArgs, "--mode", "cpu"])).cpu_us);
  return {
    id,
    ...counts,
    events_per_op: counted.events_per_op,
    body_bytes: counted.body_bytes,
    heap_bytes: alloc.gcs === 0 ? alloc.heap_bytes : null,
    cpu_us: { median: median(cpu), min: Math.min(...cpu), max: Math.max(...cpu), runs: cpu },
  };
}

async function http(lib, id, tmp, runs, n) {
  const outFile = join(tmp, `cg.${id.replaceAll(/[^\w]+/g, "_")}.out`);
  await httpWindow(lib, id, { mode: "instructions", n, tmp, prefix: valgrindPrefix(outFile), tag: "cg" });
  const counts = perOp(windowTotals(outFile), n);
  const cpu = [];
  for (let r = 0; r < runs; r += 1) {
    const { user_us, system_us } = await httpWindow(lib, id, { mode: "cpu", n: n * 10, tmp, tag: `cpu${r}` });
    cpu.push({ user_us, system_us, total: user_us + system_us });
  }
  const totals = cpu.map((c) => c.total);
  return {
    id,
    ...counts,
    events_per_op: 1,
    cpu_us: { median: median(totals), min: Math.min(...totals), max: Math.max(...totals), runs: cpu },
  };
}

async function main() {
  const groups = new Set(values.only.split(","));
  // a group (`single`), a contender id, or any prefix of ids ending at a `/`
  const chosen = (id) => [...groups].some((g) => id === g || id.startsWith(`${g}/`));
  const runs = Number(values.runs);
  const httpN = Number(values["http-n"] ?? Math.max(10, Math.round(N / 2)));
  const tmp = mkdtempSync(join(tmpdir(), "convotic-instructions-"));
  const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "src"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
  const results = {};
  const skipped = {};
  try {
    for (const id of MICRO_IDS.filter(chosen)) {
      log(`${id}: ${N} warm-up, ${WINDOWS} × ${N} counted under callgrind; allocation; CPU × ${runs}`);
      try {
        results[id] = await micro(id, tmp, runs);
      } catch (error) {
        // a peer is a bench/ dependency, which CI does not install: skipped, and said so
        if (!/is not installed/.test(error.message)) throw error;
        skipped[id] = error.message.split("\n").find((line) => line.includes("is not installed"));
        log(`${id}: skipped (${skipped[id]})`);
      }
    }
    if (HTTP_IDS.some(chosen) && values["free-digest"]) {
      for (const id of HTTP_IDS.filter(chosen)) skipped[id] = "--free-digest applies to in-process contenders only";
    } else if (HTTP_IDS.some(chosen)) {
      const lib = loadLibrary();
      const n = httpN;
      for (const id of HTTP_IDS.filter(chosen)) {
        log(`${id}: ${4 * n} warm-up requests, ${WINDOWS} × ${n} counted under callgrind; CPU × ${runs}`);
        results[id] = await http(lib, id, tmp, runs, n);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const report = instructionReport(results, {
    commit: `${commit}${dirty ? "+dirty" : ""}`,
    n: N,
    http_n: httpN,
    runs,
    skipped,
    ...(values["free-digest"] ? { digest: "free (--free-digest): ours' ids digested by a slice, not SHA-256" } : {}),
  });
  console.log(report.text);
  console.log(JSON.stringify({ instructions: report.json }));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report.json, null, 2)}\n`);
}

if (values.child) await child(values.child, values.mode ?? "instructions");
else await main();
