// HTTP phase: four servers, each in its own process, loaded by autocannon from this process over 127.0.0.1 in
// interleaved rounds of a fixed duration, with distinct signed WhatsApp text bodies (every event new, as in real
// traffic: a repeated body would measure our duplicate answer, which skips the sink and the store's commit).
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { BENCH_DIR, DIST } from "./library.mjs";
import { bodyCursor, SECRETS } from "./corpus.mjs";
import { summarise } from "./measure.mjs";

const START_TIMEOUT_MS = 20_000;

function waitForLine(stream, pattern, child, what) {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => fail(new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      buffered += chunk;
      const match = pattern.exec(buffered);
      if (match) {
        cleanup();
        stream.resume(); // keep draining whatever it writes later
        resolve(match);
      }
    };
    const onExit = (code) => fail(new Error(`${what} exited (${code}) before listening: ${buffered.slice(-500)}`));
    const fail = (error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      clearTimeout(timer);
      stream.off("data", onData);
      child.off("exit", onExit);
    };
    stream.setEncoding("utf8");
    stream.on("data", onData);
    child.once("exit", onExit);
  });
}

async function startConvoticServe(tmp, dist = DIST, tag = "ours") {
  const config = join(tmp, "convotic.bench.json");
  writeFileSync(
    config,
    JSON.stringify({
      blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws_bench", secrets: SECRETS.whatsapp }],
    }),
  );
  // the embedded sink writes one JSON line per event on stdout: /dev/null, as the issue measures it. Its log (one
  // line per request on stderr) goes to a file, so reading it costs the load generator in this process nothing.
  const logPath = join(tmp, `serve.${tag}.stderr.log`);
  const logFd = openSync(logPath, "w");
  const child = spawn(
    process.execPath,
    [join(dist, "cli", "main.js"), "serve", "--config", config, "--port", "0", "--host", "127.0.0.1"],
    {
      stdio: ["ignore", "ignore", logFd],
    },
  );
  closeSync(logFd);
  const started = Date.now();
  for (;;) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(logPath, "utf8"));
    if (match) return { child, url: `${match[1]}/webhooks/wa` };
    if (child.exitCode !== null)
      throw new Error(`convotic serve exited (${child.exitCode}): ${readFileSync(logPath, "utf8").slice(-500)}`);
    if (Date.now() - started > START_TIMEOUT_MS) {
      child.kill("SIGKILL");
      throw new Error(`convotic serve did not start within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startBenchServer(kind, dist) {
  // CONVOTIC_DIST: the library build a convotic server loads (the baseline's, with --baseline)
  const env = dist === undefined ? process.env : { ...process.env, CONVOTIC_DIST: dist };
  const child = spawn(process.execPath, [join(BENCH_DIR, "servers.mjs"), kind], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  const match = await waitForLine(child.stdout, /listening (\S+) (\S+)/, child, `${kind} server`);
  return { child, url: `${match[1]}${match[2]}` };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await once(child, "exit");
  clearTimeout(timer);
}

/**
 * CPU seconds (user + system) a server process has used so far, from /proc (Linux); undefined elsewhere. Per
 * request it is the bench's usual unit (process CPU per op), and it moves less than req/s when other processes
 * compete for the cores: req/s also measures how often the scheduler runs the server.
 */
function cpuSeconds(child) {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
// USER_HZ: 100 on every Linux architecture Node runs on
const CLOCK_TICKS = 100;

/**
 * One autocannon run; counts only 2xx as served. Each request takes the server's next body from the pool (signed up
 * front, so the load generator only picks one), so a server sees no body twice until its cursor wraps.
 */
function load(autocannon, server, { connections, durationSec }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: server.url,
        method: "POST",
        connections,
        duration: durationSec,
        requests: [{ method: "POST", setupRequest: (request) => ({ ...request, ...server.bodies.next() }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/**
 * With `baseline` ({ rev, dist }: a build of the library at another revision), `convotic serve` and the Express
 * shim of that build run as two more servers in the same interleaved rounds, so before/after is one run.
 */
export async function httpPhase({ autocannon, pool, rounds, durationSec, warmupSec, connections, log, baseline }) {
  const tmp = mkdtempSync(join(tmpdir(), "convotic-bench-"));
  const servers = {};
  try {
    const starting = {
      "convotic serve": startConvoticServe(tmp),
      "Express 5 + convoticExpress": startBenchServer("convotic-express"),
      "bare node:http HMAC+parse": startBenchServer("bare-node"),
      "bare Express 5 raw+HMAC+parse": startBenchServer("bare-express"),
      ...(baseline === undefined
        ? {}
        : {
            [`convotic serve @${baseline.rev}`]: startConvoticServe(tmp, baseline.dist, "baseline"),
            [`Express 5 + convoticExpress @${baseline.rev}`]: startBenchServer("convotic-express", baseline.dist),
          }),
    };
    const settled = await Promise.allSettled(Object.values(starting));
    // record every server that did start first, so `finally` stops them even if another one failed
    Object.keys(starting).forEach(
      (name, i) =>
        settled[i].status === "fulfilled" && (servers[name] = { ...settled[i].value, bodies: bodyCursor(pool) }),
    );
    const failed = settled.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    log?.("http: servers listening");
    const names = Object.keys(servers);
    // a short warm-up of each (JIT, connection pools), not recorded
    if (warmupSec > 0)
      for (const name of names) await load(autocannon, servers[name], { connections, durationSec: warmupSec });
    const samples = Object.fromEntries(
      names.map((name) => [name, { rps: [], cpu: [], p50: [], p99: [], non2xx: 0, errors: 0 }]),
    );
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length];
        const cpuBefore = cpuSeconds(servers[name].child);
        const result = await load(autocannon, servers[name], { connections, durationSec });
        const cpuAfter = cpuSeconds(servers[name].child);
        const sample = samples[name];
        sample.rps.push(result["2xx"] / durationSec);
        if (cpuBefore !== undefined && cpuAfter !== undefined && result["2xx"] > 0)
          sample.cpu.push(((cpuAfter - cpuBefore) * 1e6) / result["2xx"]);
        sample.p50.push(result.latency.p50);
        sample.p99.push(result.latency.p99);
        sample.non2xx += result.non2xx;
        sample.errors += result.errors + result.timeouts;
      }
      log?.(`http round ${round + 1}/${rounds}`);
    }
    const results = {};
    for (const name of names) {
      const sample = samples[name];
      results[name] = {
        req_per_s: summarise(sample.rps),
        ...(sample.cpu.length > 0 ? { server_cpu_us_per_req: summarise(sample.cpu) } : {}),
        latency_p50_ms: summarise(sample.p50),
        latency_p99_ms: summarise(sample.p99),
        non_2xx: sample.non2xx,
        errors: sample.errors,
        pool_wrapped: servers[name].bodies.wrapped,
      };
    }
    const ratio = (a, b) => Math.round((results[a].req_per_s.median / results[b].req_per_s.median) * 100) / 100;
    // the same comparison by server CPU per request (b's over a's, so like req/s higher is better for a)
    const cpuRatio = (a, b) => {
      const [x, y] = [results[a].server_cpu_us_per_req?.median, results[b].server_cpu_us_per_req?.median];
      return x === undefined || y === undefined ? undefined : Math.round((y / x) * 100) / 100;
    };
    return {
      body: `${pool.length} distinct signed WhatsApp text bodies (${pool[0].body.length} B each)`,
      connections,
      duration_s: durationSec,
      rounds,
      servers: results,
      cpu_ratios: Object.fromEntries(
        [
          ["bare node:http CPU/req ÷ serve CPU/req", "convotic serve", "bare node:http HMAC+parse"],
          [
            "bare Express CPU/req ÷ convoticExpress CPU/req",
            "Express 5 + convoticExpress",
            "bare Express 5 raw+HMAC+parse",
          ],
          ...(baseline === undefined
            ? []
            : [
                [`serve @${baseline.rev} CPU/req ÷ serve CPU/req`, "convotic serve", `convotic serve @${baseline.rev}`],
                [
                  `convoticExpress @${baseline.rev} CPU/req ÷ convoticExpress CPU/req`,
                  "Express 5 + convoticExpress",
                  `Express 5 + convoticExpress @${baseline.rev}`,
                ],
              ]),
        ]
          .map(([label, a, b]) => [label, cpuRatio(a, b)])
          .filter(([, value]) => value !== undefined),
      ),
      ratios: {
        "convotic serve / bare node:http": ratio("convotic serve", "bare node:http HMAC+parse"),
        "convoticExpress / bare Express": ratio("Express 5 + convoticExpress", "bare Express 5 raw+HMAC+parse"),
        ...(baseline === undefined
          ? {}
          : {
              [`convotic serve @${baseline.rev} / bare node:http`]: ratio(
                `convotic serve @${baseline.rev}`,
                "bare node:http HMAC+parse",
              ),
              [`convoticExpress @${baseline.rev} / bare Express`]: ratio(
                `Express 5 + convoticExpress @${baseline.rev}`,
                "bare Express 5 raw+HMAC+parse",
              ),
              [`convotic serve / serve @${baseline.rev}`]: ratio("convotic serve", `convotic serve @${baseline.rev}`),
              [`convoticExpress / convoticExpress @${baseline.rev}`]: ratio(
                "Express 5 + convoticExpress",
                `Express 5 + convoticExpress @${baseline.rev}`,
              ),
            }),
      },
    };
  } finally {
    await Promise.all(Object.values(servers).map((server) => stop(server.child)));
    rmSync(tmp, { recursive: true, force: true });
  }
}
