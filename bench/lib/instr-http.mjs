// Per HTTP request: `convotic serve` (stdout sink, memory store) against the hand-written receiver, each in its own
// process, driven one request at a time over a keep-alive connection with distinct signed WhatsApp bodies. And
// `serve` with one webhook sink, its durable outbox (SQLite, each event on disk before the 200) against the
// in-memory queue (`outbox: { durable: false }`): a subscriber in this process answers 204 to every delivery, and
// a window closes only once every event of its requests was delivered, so it counts each event's delivery too. Under
// callgrind the server opens and closes its counting windows on SIGUSR2 (bench/callgrind/control.cjs); for CPU time
// the server runs plain and its user+system ticks are read from /proc before and after the window.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { BENCH_DIR, DIST } from "./library.mjs";
import { distinctWhatsAppBodies, SECRETS } from "./corpus.mjs";
import { WINDOWS } from "./instr-windows.mjs";
import { startSubscriber } from "./subscriber.mjs";

const CONTROL = join(BENCH_DIR, "callgrind", "control.cjs");
/** The webhook-sink contenders and their `outbox` setting. */
const SINK_OUTBOX = {
  "http/serve webhook sink (in-memory queue)": { durable: false },
  "http/serve webhook sink (durable outbox)": { durable: true },
};
export const HTTP_IDS = ["http/hand-written receiver", "http/convotic serve", ...Object.keys(SINK_OUTBOX)];
const WARM_UP_ROUNDS = 4;

function serverArgs(id, tmp, hook) {
  if (id === "http/hand-written receiver") return { args: [join(BENCH_DIR, "hand-receiver.mjs")], path: "/webhook" };
  const slug = id.replace(/\W+/g, "-");
  const config = join(tmp, `convotic.instructions.${slug}.json`);
  const outbox = SINK_OUTBOX[id];
  const sinks =
    outbox === undefined
      ? {}
      : {
          data_dir: join(tmp, `data-${slug}`),
          sinks: [
            {
              kind: "webhook",
              name: "bench",
              url: hook,
              secrets: [`whsec_${randomBytes(32).toString("base64")}`],
              dead_letter: join(tmp, "dead.jsonl"),
              outbox,
            },
          ],
        };
  writeFileSync(
    config,
    JSON.stringify({
      ...sinks,
      blocks: [{ id: "wa", platform: "whatsapp", workspace_id: "ws_bench", secrets: SECRETS.whatsapp }],
    }),
  );
  const args = [join(DIST, "cli", "main.js"), "serve", "--config", config, "--port", "0", "--host", "127.0.0.1"];
  return { args, path: "/webhooks/wa" };
}

/** Resolves with the first match of `pattern` in what the child writes on stderr from now on. */
function nextLine(child, pattern, what, timeoutMs = 600_000) {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => done(new Error(`${what}: timed out: ${text.slice(-300)}`)), timeoutMs);
    const onData = (chunk) => {
      text += chunk;
      const match = pattern.exec(text);
      if (match) done(undefined, match);
    };
    const onExit = (code) => done(new Error(`${what}: exited ${code}: ${text.slice(-300)}`));
    const done = (error, match) => {
      clearTimeout(timer);
      child.stderr.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(match);
    };
    child.stderr.on("data", onData);
    child.once("exit", onExit);
  });
}

function post(agent, url, item) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: item.headers }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`answered ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(item.body);
  });
}

async function sendAll(agent, url, bodies) {
  for (const item of bodies) await post(agent, url, item);
}

function cpuTicks(pid) {
  // fields 14 and 15 of /proc/PID/stat: user and system time in clock ticks (the name, field 2, may hold spaces)
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * One server. mode "instructions": under `valgrind` (prefix given), WINDOWS windows of n requests back to back,
 * returns nothing (the caller reads each window's part of the callgrind file); mode "cpu": one window, returns user
 * and system µs per request.
 */
export async function httpWindow(lib, id, { mode, n, tmp, prefix = [], tag }) {
  const subscriber = SINK_OUTBOX[id] === undefined ? undefined : await startSubscriber();
  // every body is one event: with a webhook sink, a window's work ends when its last event is delivered
  const delivered = (count) => subscriber?.until(count, id);
  const { args, path } = serverArgs(id, tmp, subscriber?.url);
  // under callgrind, V8's helper threads' work runs on the main thread (see V8_SERIAL in bench/instructions.mjs)
  const nodeArgs = mode === "instructions" ? ["--single-threaded", "--require", CONTROL, ...args] : args;
  const [command, ...rest] = [...prefix, process.execPath, ...nodeArgs];
  const env = { ...process.env, BENCH_CALLGRIND_WINDOWS: String(WINDOWS) };
  const child = spawn(command, rest, { stdio: ["ignore", "ignore", "pipe"], env });
  child.stderr.setEncoding("utf8");
  try {
    const [, origin] = await nextLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, id);
    const url = `${origin}${path}`;
    // under callgrind, n warm-up requests left TurboFan compiles (~100k instructions per request) and their GC in
    // the window, more or fewer from one run to the next: WARM_UP_ROUNDS × n first, so the window counts the
    // steady state. Plain CPU time runs V8's compiler on its own threads and keeps n.
    const warm = mode === "instructions" ? WARM_UP_ROUNDS * n : n;
    const counted = mode === "instructions" ? WINDOWS * n : n;
    const bodies = distinctWhatsAppBodies(lib, warm + counted, `${tag}${process.pid}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await sendAll(agent, url, bodies.slice(0, warm));
    await delivered(warm);
    let result;
    if (mode === "instructions") {
      const started = nextLine(child, /callgrind: started/, id);
      child.kill("SIGUSR2");
      await started;
      for (let w = 1; w <= WINDOWS; w += 1) {
        await sendAll(agent, url, bodies.slice(warm + (w - 1) * n, warm + w * n));
        await delivered(warm + w * n);
        const closed = nextLine(
          child,
          w === WINDOWS ? /callgrind: stopped/ : new RegExp(`callgrind: window ${w} dumped`),
          id,
        );
        child.kill("SIGUSR2");
        await closed;
      }
    } else {
      const before = cpuTicks(child.pid);
      await sendAll(agent, url, bodies.slice(warm));
      await delivered(warm + n);
      const after = cpuTicks(child.pid);
      const usPerTick = 1e6 / 100; // USER_HZ is 100 on Linux
      result = {
        user_us: ((after.user - before.user) * usPerTick) / n,
        system_us: ((after.system - before.system) * usPerTick) / n,
      };
    }
    agent.destroy();
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    }
    await subscriber?.close();
  }
}
