// `npm run bench`: the floor, a naive normaliser, ours and the peers, side by side in one process.
//   node bench/main.mjs [--quick | --smoke] [--no-install] [--only micro,batch,http,memory,jetstream,outbox] [--baseline REV]
// --baseline REV builds the library at a git revision and runs it as one more contender ("before") in the same
// interleaved rounds as ours ("after").
// Prints a table, then one line `{"bench": …}` with every figure.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, loadLibrary, ROOT } from "./lib/library.mjs";
import { BATCH_KINDS, mixedCorpus, PLATFORMS, signedBody, singleBodies } from "./lib/corpus.mjs";
import { floor, naive, ours } from "./lib/contenders.mjs";
import { measure } from "./lib/measure.mjs";
import { peerContenders, networkCalls } from "./lib/peers.mjs";
import { buildBaseline } from "./lib/baseline.mjs";
import { INSTRUCTIONS, log, MODE, PHASES, PROFILE, values } from "./lib/options.mjs";
import { fmt, ratio, spread, table } from "./lib/report.mjs";
import { httpPhaseRun, jetstreamPhaseRun, memoryPhase, outboxPhaseRun } from "./lib/service-phases.mjs";

function ensureBenchDependencies() {
  if (values["no-install"] || values.smoke) return;
  if (existsSync(join(BENCH_DIR, "node_modules", ".package-lock.json"))) return;
  log("installing bench/ dependencies (npm --prefix bench ci)");
  execFileSync("npm", ["--prefix", BENCH_DIR, "ci", "--no-audit", "--no-fund"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

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
