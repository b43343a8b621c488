// The `outbox` phase: events/s answered 200 by `convotic serve` with one webhook sink, its durable outbox (SQLite,
// fsync'd group commits) against the in-memory queue (`outbox: { durable: false }`), in interleaved rounds of one
// run. The load is distinct Telegram updates (one event each) over keep-alive connections from this process
// (node:http, no extra dependency); a local subscriber in this process answers 204 to every delivery.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServe } from "./serve-process.mjs";
import { startSubscriber } from "./subscriber.mjs";

const TOKEN = "bench-outbox-token_Q3v";

function update(id) {
  const user = { id: 7, is_bot: false, first_name: "B" };
  return JSON.stringify({
    update_id: id,
    message: { message_id: id, date: 1_790_000_000, chat: { id: 7, type: "private" }, from: user, text: `bench ${id}` },
  });
}

/** Posts distinct updates on `connections` keep-alive connections for `seconds`; counts 200s and the rest. */
async function drive(url, { connections, seconds, nextId }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const stopAt = Date.now() + seconds * 1000;
  let ok = 0;
  let other = 0;
  const post = () =>
    new Promise((resolve) => {
      const body = update(nextId());
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "x-telegram-bot-api-secret-token": TOKEN,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode));
        },
      );
      req.on("error", () => resolve(0));
      req.end(body);
    });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < stopAt) {
        if ((await post()) === 200) ok += 1;
        else other += 1;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return { events_per_s: Math.round(ok / elapsed), ok, other };
}

export async function outboxPhase({ rounds, durationSec, warmupSec, connections, log }) {
  const dir = mkdtempSync(join(tmpdir(), "convotic-bench-outbox-"));
  const subscriber = await startSubscriber();
  const hook = subscriber.url;
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const configOf = (name, outbox) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        data_dir: join(dir, `data-${name}`),
        // the idempotency store and the sink's in-memory bound must not be what is measured
        sinks: [
          {
            kind: "webhook",
            name: "bench",
            url: hook,
            secrets: [secret],
            dead_letter: join(dir, `${name}.dead.jsonl`),
            queue_size: 10_000_000,
            outbox,
          },
        ],
        blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws_bench", secrets: { secret_token: TOKEN } }],
      }),
    );
    return path;
  };
  const settings = { "durable outbox": { durable: true }, "in-memory queue": { durable: false } };
  const servers = Object.fromEntries(
    Object.entries(settings).map(([name, outbox]) => [
      name,
      startServe(configOf(name.replace(/\W+/g, "-"), outbox), "/webhooks/tg"),
    ]),
  );
  let id = 0;
  const nextId = () => (id += 1);
  try {
    const urls = Object.fromEntries(
      await Promise.all(Object.entries(servers).map(async ([name, server]) => [name, await server.url])),
    );
    for (const [name, url] of Object.entries(urls)) {
      log(`outbox: warm-up ${Math.max(1, warmupSec)} s, ${name}`);
      await drive(url, { connections, seconds: Math.max(1, warmupSec), nextId });
    }
    const figures = Object.fromEntries(Object.keys(settings).map((name) => [name, []]));
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, url] of Object.entries(urls)) {
        log(`outbox round ${round}/${rounds}: ${name}, ${durationSec} s, ${connections} connections`);
        const cpuBefore = servers[name].cpuMs();
        const result = await drive(url, { connections, seconds: durationSec, nextId });
        const cpuAfter = servers[name].cpuMs();
        const cpu =
          cpuBefore === undefined || cpuAfter === undefined || result.ok === 0
            ? undefined
            : Math.round(((cpuAfter - cpuBefore) * 1000) / result.ok);
        figures[name].push({ ...result, ...(cpu === undefined ? {} : { cpu_us_per_event: cpu }) });
      }
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const out = {
      connections,
      duration_s: durationSec,
      rounds,
      delivered_during_run: subscriber.delivered,
      settings: {},
    };
    for (const [name, runs] of Object.entries(figures)) {
      const cpu = runs.map((run) => run.cpu_us_per_event).filter((value) => value !== undefined);
      out.settings[name] = {
        events_per_s_median: median(runs.map((run) => run.events_per_s)),
        ...(cpu.length > 0 ? { cpu_us_per_event_median: median(cpu) } : {}),
        runs,
      };
    }
    const [durable, memory] = [out.settings["durable outbox"], out.settings["in-memory queue"]];
    out.durable_over_memory = Math.round((durable.events_per_s_median / memory.events_per_s_median) * 100) / 100;
    if (durable.cpu_us_per_event_median !== undefined && memory.cpu_us_per_event_median !== undefined) {
      out.cpu_durable_over_memory =
        Math.round((durable.cpu_us_per_event_median / memory.cpu_us_per_event_median) * 100) / 100;
    }
    return out;
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    await subscriber.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
