// The phases of `npm run bench` that run a service rather than a function in-process: HTTP servers, JetStream,
// the outbox, and the memory of a long run (split from bench/main.mjs, which keeps the in-process phases).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, loadPeer } from "./library.mjs";
import { distinctWhatsAppBodies } from "./corpus.mjs";
import { httpPhase } from "./http.mjs";
import { jetstreamPhase } from "./jetstream.mjs";
import { outboxPhase } from "./outbox.mjs";
import { log, PROFILE } from "./options.mjs";
import { fmt, spread, table } from "./report.mjs";

export async function httpPhaseRun(lib, out, baseline) {
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
export async function jetstreamPhaseRun(lib, out) {
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

export async function outboxPhaseRun(out) {
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

export function memoryPhase(out) {
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
