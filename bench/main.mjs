// `npm run bench`: the floor, a naive normaliser, ours and the peers, side by side in one process.
//   node bench/main.mjs [--quick | --smoke] [--no-install] [--only micro,batch,http,memory,jetstream,outbox] [--baseline REV]
// --baseline REV builds the library at a git revision and runs it as one more contender ("before") in the same
// interleaved rounds as ours ("after").
// Prints a table, then one line `{"bench": …}` with every figure.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_DIR, loadLibrary, loadPeer, ROOT } from "./lib/library.mjs";
import {
  BATCH_KINDS,
  distinctWhatsAppBodies,
  mixedCorpus,
  PLATFORMS,
  signedBody,
  singleBodies,
} from "./lib/corpus.mjs";
import { floor, naive, ours } from "./lib/contenders.mjs";
import { measure } from "./lib/measure.mjs";
import { peerContenders, networkCalls } from "./lib/peers.mjs";
import { httpPhase } from "./lib/http.mjs";
import { jetstreamPhase } from "./lib/jetstream.mjs";
import { outboxPhase } from "./lib/outbox.mjs";
import { buildBaseline } from "./lib/baseline.mjs";

// `npm run bench -- --instructions [--n N …]`: the instruction counts of bench/instructions.mjs instead of this bench
const INSTRUCTIONS = process.argv.includes("--instructions");
const { values } = parseArgs({
  strict: !INSTRUCTIONS,
  options: {
    quick: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    "no-install": { type: "boolean", default: false },
    only: { type: "string" },
    baseline: { type: "string" },
  },
});
const MODE = values.smoke ? "smoke" : values.quick ? "quick" : "full";
const PROFILE = {
  // full: 15 interleaved rounds as the figures; ~6 minutes on 2 cores
  full: {
    rounds: 15,
    sampleMs: 40,
    warmupMs: 150,
    batchSizes: [1, 10, 100, 1000],
    httpRounds: 3,
    httpSec: 5,
    httpWarmupSec: 2,
    connections: 50,
    memoryEvents: 1_000_000,
  },
  quick: {
    rounds: 5,
    sampleMs: 20,
    warmupMs: 60,
    batchSizes: [1, 10, 100, 1000],
    httpRounds: 1,
    httpSec: 2,
    httpWarmupSec: 1,
    connections: 50,
    memoryEvents: 100_000,
  },
  // smoke: proves every phase runs and does the work it claims; its figures mean nothing
  smoke: {
    rounds: 2,
    sampleMs: 1,
    warmupMs: 2,
    batchSizes: [1, 10],
    httpRounds: 1,
    httpSec: 1,
    httpWarmupSec: 0,
    connections: 4,
    memoryEvents: 1_000,
  },
}[MODE];
const PHASES = new Set((values.only ?? "ids,micro,batch,http,memory,jetstream,outbox").split(","));
const log = (text) => process.stderr.write(`bench: ${text}\n`);

function ensureBenchDependencies() {
  if (values["no-install"] || values.smoke) return;
  if (existsSync(join(BENCH_DIR, "node_modules", ".package-lock.json"))) return;
  log("installing bench/ dependencies (npm --prefix bench ci)");
  execFileSync("npm", ["--prefix", BENCH_DIR, "ci", "--no-audit", "--no-fund"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

const ratio = (a, b) => (a === undefined || b === undefined ? null : Math.round((a / b) * 100) / 100);
const fmt = (x) =>
  x === null || x === undefined ? "—" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const spread = (s) => `${fmt(s.median)} [${fmt(s.p25)}–${fmt(s.p75)}]`;

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => "| " + cells.map((c, i) => String(c).padEnd(widths[i])).join(" | ") + " |";
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The ids every envelope carries, alone: fresh inputs every call, and a contact id seen again (a chat's next message). */
async function idsPhase(lib, baseline, out) {
  const distinct = Array.from(
    { length: 8192 },
    (_, i) => `wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAz${String(i).padStart(8, "0")}`,
  );
  const libs = { ours: lib, ...(baseline ? { baseline: baseline.lib } : {}) };
  const contenders = [];
  for (const [who, l] of Object.entries(libs)) {
    contenders.push({
      id: `eventId, distinct keys/${who}`,
      cycle: distinct.length,
      run: (i) => (
        l.eventId("whatsapp", "blk_whatsapp_bench", distinct[i % distinct.length], "messaging.message.received"),
        1
      ),
    });
    contenders.push({
      id: `contactId, one user again/${who}`,
      run: () => (l.contactId("blk_whatsapp_bench", "16505551234"), 1),
    });
    contenders.push({
      id: `contactId, 8,192 users in turn/${who}`,
      cycle: distinct.length,
      run: (i) => (l.contactId("blk_whatsapp_bench", distinct[i % distinct.length]), 1),
    });
  }
  log(`ids: ${contenders.length} contenders, ${PROFILE.rounds} rounds`);
  const results = await measure(contenders, { ...PROFILE, onProgress: (r, n) => log(`ids round ${r}/${n}`) });
  out.ids = {};
  const rows = [];
  for (const name of ["eventId, distinct keys", "contactId, one user again", "contactId, 8,192 users in turn"]) {
    const o = results[`${name}/ours`].us_per_op;
    const b = baseline ? results[`${name}/baseline`].us_per_op : undefined;
    out.ids[name] = { ours: o, ...(b ? { baseline: b, ours_over_baseline: ratio(o.median, b.median) } : {}) };
    rows.push([name, spread(o), ...(b ? [spread(b), `${fmt(ratio(o.median, b.median))}×`] : [])]);
  }
  console.log("\nIds: process CPU µs per id\n");
  console.log(table(["id", "ours", ...(baseline ? [`baseline ${baseline.rev}`, "ours/baseline"] : [])], rows));
}

async function microPhase(lib, normalizer, out, baseline) {
  const bodies = singleBodies(lib);
  const contenders = [];
  for (const body of bodies) {
    const { platform } = body;
    for (const [name, make] of [
      ["floor", floor],
      ["naive", naive],
    ]) {
      const run = make(platform);
      contenders.push({ id: `${platform}/${name}`, run: () => run(body) });
    }
    const run = ours(normalizer, platform);
    contenders.push({ id: `${platform}/ours`, run: () => run(body) });
    if (baseline) {
      const before = ours(baseline.normalizer, platform);
      contenders.push({ id: `${platform}/baseline`, run: () => before(body) });
    }
  }
  const { bodies: corpus, rejected } = mixedCorpus(lib, normalizer);
  const perPlatform = (make) => Object.fromEntries(PLATFORMS.map((p) => [p, make(p)]));
  const floors = perPlatform(floor);
  const naives = perPlatform(naive);
  const ourRuns = perPlatform((p) => ours(normalizer, p));
  const baselineRuns = baseline ? perPlatform((p) => ours(baseline.normalizer, p)) : undefined;
  for (const [name, runs] of [
    ["floor", floors],
    ["naive", naives],
    ["ours", ourRuns],
    ...(baselineRuns ? [["baseline", baselineRuns]] : []),
  ]) {
    contenders.push({
      id: `mixed/${name}`,
      cycle: corpus.length,
      run: (i) => {
        const body = corpus[i % corpus.length];
        return runs[body.platform](body);
      },
    });
  }
  const peers = await peerContenders(bodies);
  contenders.push(...peers.contenders);
  log(`micro: ${contenders.length} contenders, ${PROFILE.rounds} rounds`);
  const results = await measure(contenders, { ...PROFILE, onProgress: (r, n) => log(`micro round ${r}/${n}`) });

  const rows = [];
  const single = {};
  for (const body of [
    ...bodies,
    {
      platform: "mixed",
      label: `mixed corpus, ${corpus.length} fixture bodies, mean`,
      bytes: Math.round(corpus.reduce((n, b) => n + b.bytes, 0) / corpus.length),
    },
  ]) {
    const p = body.platform;
    const f = results[`${p}/floor`].us_per_op;
    const n = results[`${p}/naive`].us_per_op;
    const o = results[`${p}/ours`].us_per_op;
    const peerIds = Object.keys(results).filter((id) => id.startsWith(`${p}/peer:`));
    const peerFigures = Object.fromEntries(
      peerIds.map((id) => {
        const peer = peers.contenders.find((c) => c.id === id);
        const r = results[id];
        return [
          peer.peer,
          {
            us_per_op: r.us_per_op,
            events_per_op: r.events_per_op,
            ours_over_peer: ratio(o.median, r.us_per_op.median),
          },
        ];
      }),
    );
    const b = results[`${p}/baseline`]?.us_per_op;
    single[p] = {
      ...(b
        ? { baseline: b, ours_over_baseline: ratio(o.median, b.median), baseline_over_floor: ratio(b.median, f.median) }
        : {}),
      body: body.label,
      bytes: body.bytes,
      events_per_op: results[`${p}/ours`].events_per_op,
      floor: f,
      naive: n,
      ours: o,
      ours_over_floor: ratio(o.median, f.median),
      naive_over_floor: ratio(n.median, f.median),
      peers: peerFigures,
    };
    const peerText = Object.entries(peerFigures)
      .map(([name, r]) => `${name}: ${fmt(r.us_per_op.median)} µs (ours ${fmt(r.ours_over_peer)}×)`)
      .join("; ");
    const before = b ? [spread(b), `${fmt(ratio(b.median, f.median))}×`] : [];
    rows.push([
      `${body.label} (${body.bytes} B)`,
      spread(f),
      spread(n),
      ...before,
      spread(o),
      `${fmt(ratio(o.median, f.median))}×`,
      peerText || "—",
    ]);
  }
  console.log("\nSingle bodies: process CPU µs per webhook, median [p25–p75] of interleaved rounds, verification on\n");
  const beforeHeaders = baseline ? [`baseline ${baseline.rev}`, "baseline/floor"] : [];
  console.log(
    table(["body", "floor", "naive", ...beforeHeaders, "ours", "ours/floor", "peers on the same body"], rows),
  );
  out.single = single;
  out.mixed_corpus = { bodies: corpus.length, rejected_by_ours: rejected };
  out.peers = { versions: peers.versions, skipped: peers.skipped, network_calls: networkCalls() };
  for (const [name, reason] of Object.entries(peers.skipped)) log(`peer skipped: ${name}: ${reason}`);
}

async function batchPhase(lib, normalizer, out, baseline) {
  const contenders = [];
  const meta = [];
  for (const [kind, spec] of Object.entries(BATCH_KINDS)) {
    for (const size of PROFILE.batchSizes) {
      const body = signedBody(lib, spec.platform, spec.build(size), `${spec.label} × ${size}`);
      meta.push({ kind, size, body, spec });
      for (const [name, make] of [
        ["floor", floor],
        ["naive", naive],
      ]) {
        const run = make(spec.platform);
        contenders.push({ id: `${kind}/${size}/${name}`, run: () => run(body) });
      }
      const run = ours(normalizer, spec.platform);
      contenders.push({ id: `${kind}/${size}/ours`, run: () => run(body) });
      if (baseline) {
        const before = ours(baseline.normalizer, spec.platform);
        contenders.push({ id: `${kind}/${size}/baseline`, run: () => before(body) });
      }
    }
  }
  log(`batch: ${contenders.length} contenders, ${PROFILE.rounds} rounds`);
  const results = await measure(contenders, { ...PROFILE, onProgress: (r, n) => log(`batch round ${r}/${n}`) });
  const rows = [];
  out.batches = {};
  for (const { kind, size, body, spec } of meta) {
    const f = results[`${kind}/${size}/floor`];
    const n = results[`${kind}/${size}/naive`];
    const o = results[`${kind}/${size}/ours`];
    const b = results[`${kind}/${size}/baseline`];
    const events = o.events_per_op;
    const perEvent = (r) => Math.round((r.us_per_op.median / events) * 100) / 100;
    (out.batches[kind] ??= { label: spec.label, sizes: {} }).sizes[size] = {
      bytes: body.bytes,
      events_per_op: events,
      floor: f.us_per_op,
      naive: n.us_per_op,
      ours: o.us_per_op,
      floor_us_per_event: perEvent(f),
      naive_us_per_event: perEvent(n),
      ours_us_per_event: perEvent(o),
      ours_over_floor: ratio(o.us_per_op.median, f.us_per_op.median),
      ...(b
        ? {
            baseline: b.us_per_op,
            baseline_us_per_event: perEvent(b),
            ours_over_baseline: ratio(o.us_per_op.median, b.us_per_op.median),
          }
        : {}),
    };
    const before = b ? [fmt(perEvent(b))] : [];
    rows.push([
      `${spec.label} × ${size}`,
      body.bytes,
      events,
      spread(f.us_per_op),
      spread(o.us_per_op),
      fmt(perEvent(f)),
      fmt(perEvent(n)),
      ...before,
      fmt(perEvent(o)),
      `${fmt(ratio(o.us_per_op.median, f.us_per_op.median))}×`,
    ]);
  }
  console.log("\nBatches: process CPU µs per webhook and per event (median), verification on\n");
  console.log(
    table(
      [
        "batch",
        "bytes",
        "events",
        "floor µs",
        "ours µs",
        "floor/event",
        "naive/event",
        ...(baseline ? [`baseline/event`] : []),
        "ours/event",
        "ours/floor",
      ],
      rows,
    ),
  );
}

async function httpPhaseRun(lib, out, baseline) {
  const autocannon = await loadPeer("autocannon");
  const express = await loadPeer("express");
  if (autocannon.module === undefined || express.module === undefined) {
    out.http = { skipped: autocannon.skipped ?? express.skipped };
    log(`http skipped: ${out.http.skipped}`);
    return;
  }
  // enough distinct bodies that a convotic server at 18,000 req/s sees none twice (a wrap is reported per server)
  const poolSize = Math.min(320_000, 18_000 * (PROFILE.httpWarmupSec + PROFILE.httpRounds * PROFILE.httpSec));
  log(`http: signing ${poolSize} distinct WhatsApp bodies`);
  const pool = distinctWhatsAppBodies(lib, poolSize, `http${process.pid}`);
  log(
    `http: ${baseline ? 6 : 4} servers, ${PROFILE.httpRounds} rounds of ${PROFILE.httpSec} s each, ${PROFILE.connections} connections`,
  );
  const before = baseline ? { rev: baseline.rev, dist: baseline.dist } : undefined;
  out.http = await httpPhase({
    autocannon: autocannon.module.default,
    pool,
    rounds: PROFILE.httpRounds,
    durationSec: PROFILE.httpSec,
    warmupSec: PROFILE.httpWarmupSec,
    connections: PROFILE.connections,
    log,
    baseline: before,
  });
  const rows = Object.entries(out.http.servers).map(([name, r]) => [
    name,
    spread(r.req_per_s),
    r.server_cpu_us_per_req ? spread(r.server_cpu_us_per_req) : "–",
    fmt(r.latency_p50_ms.median),
    fmt(r.latency_p99_ms.median),
    r.non_2xx,
    r.errors,
  ]);
  console.log(
    `\nHTTP on 127.0.0.1: autocannon, ${PROFILE.connections} connections, ${PROFILE.httpSec} s × ${PROFILE.httpRounds} interleaved rounds, ${out.http.body}\n`,
  );
  console.log(
    table(["server", "req/s median [p25–p75]", "server CPU µs/req", "p50 ms", "p99 ms", "non-2xx", "errors"], rows),
  );
  console.log(
    Object.entries(out.http.ratios)
      .map(([k, v]) => `${k}: ${fmt(v)}×`)
      .join("   "),
  );
  const wrapped = Object.entries(out.http.servers)
    .filter(([name, r]) => r.pool_wrapped && name.includes("onvotic"))
    .map(([name]) => name);
  if (wrapped.length > 0)
    console.log(
      `the body pool wrapped for ${wrapped.join(", ")}: its later requests were duplicates (answered without the sink)`,
    );
  console.log(
    Object.entries(out.http.cpu_ratios)
      .map(([k, v]) => `${k}: ${fmt(v)}×`)
      .join("   "),
  );
}

/** Events/s into a JetStream stream through 1 and 3 `convotic serve` processes sharing Redis (docs/scaling.md). */
async function jetstreamPhaseRun(lib, out) {
  const autocannon = await loadPeer("autocannon");
  if (autocannon.module === undefined) {
    out.jetstream = { skipped: autocannon.skipped };
  } else {
    out.jetstream = await jetstreamPhase({
      lib,
      autocannon: autocannon.module.default,
      rounds: PROFILE.httpRounds,
      durationSec: PROFILE.httpSec,
      warmupSec: PROFILE.httpWarmupSec,
      connections: PROFILE.connections,
      log,
    });
  }
  if (out.jetstream.skipped !== undefined) {
    console.log(`\nJetStream: skipped (${out.jetstream.skipped})`);
    return;
  }
  const j = out.jetstream;
  const rows = Object.entries(j.settings).map(([name, s]) => {
    const last = s.runs.at(-1);
    return [
      name,
      s.events_per_s_median,
      s.runs.map((run) => run.events_per_s).join(", "),
      fmt(last.latency_p50_ms),
      fmt(last.latency_p99_ms),
      s.runs.reduce((t, r) => t + r.non_2xx, 0),
      s.runs.reduce((t, r) => t + r.errors, 0),
    ];
  });
  console.log(
    `\nJetStream: events/s landed in the stream (memory storage, R1) through convotic serve + Redis idempotency; ${j.connections} connections, ${j.duration_s} s × ${j.rounds} interleaved rounds, distinct signed WhatsApp texts\n`,
  );
  console.log(
    table(["serve processes", "events/s median", "per round", "p50 ms", "p99 ms", "non-2xx", "errors"], rows),
  );
  console.log(
    `3 instances / 1 instance: ${fmt(j.three_over_one)}×${j.pool_wrapped ? "   (the body pool wrapped: later requests were duplicates, not counted as events)" : ""}`,
  );
}

async function outboxPhaseRun(out) {
  out.outbox = await outboxPhase({
    rounds: Math.max(2, PROFILE.httpRounds),
    durationSec: PROFILE.httpSec,
    warmupSec: PROFILE.httpWarmupSec,
    connections: Math.min(PROFILE.connections, 32),
    log,
  });
  const o = out.outbox;
  const rows = Object.entries(o.settings).map(([name, s]) => [
    name,
    s.events_per_s_median,
    s.runs.map((run) => run.events_per_s).join(", "),
    s.cpu_us_per_event_median ?? "—",
    s.runs.reduce((t, r) => t + r.other, 0),
  ]);
  console.log(
    `\nOutbox: events/s answered 200 by convotic serve with one webhook sink; ${o.connections} keep-alive connections, ${o.duration_s} s × ${o.rounds} interleaved rounds, distinct Telegram updates\n`,
  );
  console.log(table(["webhook sink", "events/s median", "per round", "serve CPU µs/event", "non-200"], rows));
  console.log(
    `durable outbox / in-memory queue: ${fmt(o.durable_over_memory)}× the events/s, ${fmt(o.cpu_durable_over_memory)}× the CPU per event`,
  );
}

function memoryPhase(out) {
  log(`memory: ${PROFILE.memoryEvents} events in a child process`);
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", join(BENCH_DIR, "memory.mjs"), "--events", String(PROFILE.memoryEvents)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 15 * 60_000,
    },
  );
  if (child.status !== 0) throw new Error(`memory phase failed (${child.status ?? child.signal})`);
  out.memory = JSON.parse(child.stdout.trim().split("\n").pop());
  const m = out.memory;
  console.log(
    `\nMemory over ${m.events} events (${m.body}): after GC heap ${m.baseline.heap_used_mb} → ${m.final.heap_used_mb} MB (max ${m.max_heap_used_after_gc_mb}), RSS ${m.baseline.rss_mb} → ${m.final.rss_mb} MB; idempotency store: ${m.idempotency_store}`,
  );
}

async function main() {
  ensureBenchDependencies();
  const started = Date.now();
  const lib = loadLibrary();
  const normalizer = lib.createConvotic();
  const out = {
    mode: MODE,
    node: process.version,
    cpu: `${cpus()[0]?.model ?? "?"} × ${cpus().length}`,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    library_version: JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version,
    unit: "process CPU µs (user + system) per op; median and spread over interleaved rounds",
    rounds: PROFILE.rounds,
    // a shared machine shows here: other processes' load inflates every figure, ratios within a run much less
    load_average_at_start: loadavg().map((x) => Math.round(x * 10) / 10),
  };
  let baseline;
  if (values.baseline !== undefined) {
    baseline = buildBaseline(values.baseline, log);
    baseline.normalizer = baseline.lib.createConvotic();
    out.baseline = { rev: baseline.rev, commit: baseline.commit };
  }
  try {
    if (PHASES.has("ids")) await idsPhase(lib, baseline, out);
    if (PHASES.has("micro")) await microPhase(lib, normalizer, out, baseline);
    if (PHASES.has("batch")) await batchPhase(lib, normalizer, out, baseline);
    if (PHASES.has("http")) await httpPhaseRun(lib, out, baseline);
  } finally {
    baseline?.dispose();
  }
  if (PHASES.has("memory")) memoryPhase(out);
  if (PHASES.has("jetstream")) await jetstreamPhaseRun(lib, out);
  if (PHASES.has("outbox")) await outboxPhaseRun(out);
  out.wall_s = Math.round((Date.now() - started) / 100) / 10;
  out.load_average_at_end = loadavg().map((x) => Math.round(x * 10) / 10);
  log(
    `load average (1, 5, 15 min): ${out.load_average_at_start.join(" ")} at start, ${out.load_average_at_end.join(" ")} at end; ${cpus().length} cores`,
  );
  console.log("\n" + JSON.stringify({ bench: out }));
}

if (INSTRUCTIONS) await import("./instructions.mjs");
else
  main().catch((error) => {
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
