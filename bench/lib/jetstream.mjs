// The `jetstream` phase: events/s landed in a NATS JetStream stream through 1 and 3 `convotic serve` processes that
// share Redis idempotency (docs/scaling.md). Needs NATS (JetStream) at NATS_URL and Redis at REDIS_URL, default
// 127.0.0.1:4222 and :6379; skipped, with the reason, when either does not answer.
//
// Three serve processes are started once; a "1 instance" round drives the first only (the others idle), a
// "3 instances" round drives all three at once, one autocannon per instance, its connections split between them.
// Every request is a distinct signed WhatsApp text message (one event), so the stream's message count is the
// number of events that landed; a request is answered 200 only after the stream acknowledged its event.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { bodyCursor, distinctWhatsAppBodies, SECRETS } from "./corpus.mjs";
import { ROOT } from "./library.mjs";
import { startServe } from "./serve-process.mjs";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// distinct bodies to sign up front: 2,000 per second of driving (well above what this host lands), at most 60,000
const POOL_PER_SECOND = 2000;
const POOL_MAX = 60_000;

/** Whether host:port answers with `greeting` (after `hello`) within 1 s. */
function answers(url, greeting, hello) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect(Number(port), hostname);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    if (hello !== undefined) socket.on("connect", () => socket.write(hello));
    socket.on("data", (data) => done(String(data).startsWith(greeting)));
  });
}

/** Deletes the idempotency keys the run wrote (SCAN, not KEYS: Redis may be shared). */
async function deleteKeys(require, prefix) {
  const { Redis } = require("ioredis");
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/**
 * @returns {Promise<object>} `{ skipped }`, or the figures: per setting, events/s landed per round and their median
 */
export async function jetstreamPhase({ lib, autocannon, rounds, durationSec, warmupSec, connections, log }) {
  const natsUp = await answers(NATS_URL, "INFO");
  const redisUp = await answers(REDIS_URL, "+PONG", "PING\r\n");
  if (!natsUp || !redisUp) {
    return {
      skipped: [
        natsUp ? undefined : `NATS does not answer at ${NATS_URL}`,
        redisUp ? undefined : `Redis does not answer at ${REDIS_URL}`,
      ]
        .filter(Boolean)
        .join("; "),
    };
  }
  const require = createRequire(join(ROOT, "package.json"));
  const { connect } = require("@nats-io/transport-node");
  const { jetstreamManager } = require("@nats-io/jetstream");
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const stream = `convotic_bench_${tag}`;
  const prefix = `bench_${tag}`;
  const dir = mkdtempSync(join(tmpdir(), "convotic-bench-js-"));
  const config = join(dir, "convotic.config.json");
  writeFileSync(
    config,
    JSON.stringify({
      blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws_bench", secrets: SECRETS.whatsapp }],
      // short-lived keys: the bench leaves nothing in Redis for long
      idempotency: { store: "redis", url: REDIS_URL, key_prefix: `convotic:bench:${tag}:`, ttl: "10m" },
      sinks: [
        {
          kind: "jetstream",
          servers: NATS_URL,
          subject_prefix: prefix,
          stream: { name: stream, storage: "memory", duplicate_window: "2m" },
        },
      ],
    }),
  );
  const poolSize = Math.min(POOL_MAX, POOL_PER_SECOND * (Math.max(1, warmupSec) + rounds * 2 * durationSec));
  log(`jetstream: signing ${poolSize} distinct WhatsApp bodies`);
  const pool = distinctWhatsAppBodies(lib, poolSize, tag);
  const bodies = bodyCursor(pool); // shared by every autocannon, so no body is sent twice until the pool wraps
  const nc = await connect({ servers: NATS_URL, timeout: 3000 });
  const jsm = await jetstreamManager(nc);
  const servers = [];
  try {
    for (let i = 0; i < 3; i += 1) servers.push(startServe(config, "/webhooks/wa"));
    const urls = await Promise.all(servers.map((server) => server.url));
    // the first publish creates the stream
    const landed = async () => (await jsm.streams.info(stream).catch(() => undefined))?.state.messages ?? 0;
    const drive = async (instances, seconds) => {
      const each = Math.max(1, Math.floor(connections / instances));
      const before = await landed();
      const started = process.hrtime.bigint();
      const results = await Promise.all(
        urls.slice(0, instances).map((url) =>
          autocannon({
            url,
            connections: each,
            duration: seconds,
            requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...bodies.next() }) }],
          }),
        ),
      );
      const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
      // counted when the driving stops: requests still in flight then land afterwards, uncounted, and are waited
      // for below so they do not count in the next round
      const after = await landed();
      for (let previous = after; ;) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const current = await landed();
        if (current === previous) break;
        previous = current;
      }
      const sum = (key) => results.reduce((total, result) => total + (result[key] ?? 0), 0);
      return {
        events: after - before,
        seconds: elapsed,
        events_per_s: Math.round((after - before) / elapsed),
        requests: results.reduce((total, result) => total + result.requests.total, 0),
        non_2xx: sum("non2xx"),
        errors: sum("errors") + sum("timeouts"),
        latency_p50_ms: Math.max(...results.map((r) => r.latency.p50)),
        latency_p99_ms: Math.max(...results.map((r) => r.latency.p99)),
      };
    };
    // the stream exists once the first publish made it; a warm-up also loads the code paths of every instance
    log(`jetstream: warm-up ${Math.max(1, warmupSec)} s on 3 instances`);
    await drive(3, Math.max(1, warmupSec));
    const settings = { "1 instance": 1, "3 instances": 3 };
    const figures = Object.fromEntries(Object.keys(settings).map((name) => [name, []]));
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, instances] of Object.entries(settings)) {
        log(`jetstream round ${round}/${rounds}: ${name}, ${durationSec} s, ${connections} connections`);
        figures[name].push(await drive(instances, durationSec));
      }
    }
    const median = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    };
    const out = {
      stream: { storage: "memory", replicas: 1 },
      connections,
      duration_s: durationSec,
      rounds,
      pool_wrapped: bodies.wrapped,
      settings: {},
    };
    for (const [name, runs] of Object.entries(figures)) {
      out.settings[name] = { events_per_s_median: median(runs.map((run) => run.events_per_s)), runs };
    }
    out.three_over_one =
      Math.round(
        (out.settings["3 instances"].events_per_s_median / out.settings["1 instance"].events_per_s_median) * 100,
      ) / 100;
    return out;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await deleteKeys(require, `convotic:bench:${tag}:`).catch((error) =>
      log(`jetstream: Redis keys under convotic:bench:${tag}: left (they expire in 10 min): ${error.message}`),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}
