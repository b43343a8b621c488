import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { createRouter } from "../../src/core";
import { createJetStreamConsumer } from "../../src/delivery";
import { until } from "../support/consumers";
import { describeNats, NATS_URL, uniqueName } from "../support/nats";
import { REDIS_URL, uniquePrefix, redisUp } from "../support/redis";

/*
 * The proof of docs/scaling.md: three `convotic serve` processes (the built CLI) share Redis idempotency and one
 * JetStream stream. Duplicates spread over the instances, some sent to two instances at the same moment, and one
 * instance SIGKILLed mid-run while the client redelivers what was not answered 200, leave every event exactly once
 * in the stream, and nothing an instance acknowledged is missing; a consumer on that stream then handles each event
 * exactly once.
 */
const root = join(__dirname, "..", "..");
const dir = join(root, ".tmp", `three-instances-${process.pid}`);
const SECRET = "test-secret_TOKEN-123";
const template = JSON.parse(readFileSync(join(root, "fixtures", "telegram", "message-text-private.json"), "utf8")) as {
  update_id: number;
  message: { message_id: number; text: string };
};

jest.setTimeout(60_000);

interface Instance {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly exited: Promise<number | null>;
}

function spawnServe(config: string): Instance {
  const child = spawn(
    process.execPath,
    [join(root, "dist", "cli", "main.js"), "serve", "--config", config, "--port", "0"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /(http:\/\/127\.0\.0\.1:\d+\S*\/tg1)\s/.exec(stderr);
      if (found) resolve(found[1]!);
    });
    child.on("exit", () => reject(new Error(`serve exited before listening: ${stderr}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, url, exited };
}

function update(n: number): string {
  return JSON.stringify({
    ...template,
    update_id: 900_000_000 + n,
    message: { ...template.message, message_id: 70_000 + n, text: `hello ${n}` },
  });
}

async function post(url: string, body: string): Promise<number> {
  try {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // connection refused or reset: the platform would redeliver
  }
}

const describeBoth = redisUp || process.env["CI"] !== undefined ? describeNats : describe.skip;

describeBoth("three serve instances, shared Redis and JetStream (real servers)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName("convotic_test_scale");
  const prefix = uniqueName("cs");
  const instances: Instance[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "convotic.config.json"),
      JSON.stringify({
        blocks: [{ id: "tg1", platform: "telegram", workspace_id: "ws.scale *1", secrets: { secret_token: SECRET } }],
        idempotency: { store: "redis", url: REDIS_URL, key_prefix: uniquePrefix("scale") },
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
  });
  afterAll(async () => {
    for (const instance of instances) instance.child.kill("SIGKILL");
    await Promise.all(instances.map((instance) => instance.exited));
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function streamIds(): Promise<string[]> {
    const count = (await jsm.streams.info(stream)).state.messages;
    const ids: string[] = [];
    for (let seq = 1; seq <= count; seq += 1)
      ids.push((await jsm.streams.getMessage(stream, { seq }))!.header.get("Nats-Msg-Id"));
    return ids;
  }

  it("leaves every event exactly once in the stream, loses nothing acknowledged when an instance is SIGKILLed, and a consumer handles each once", async () => {
    for (let i = 0; i < 3; i += 1) instances.push(spawnServe(join(dir, "convotic.config.json")));
    const urls = await Promise.all(instances.map((instance) => instance.url));

    // phase 1: 90 updates, each to one instance, every third also to a second instance at the same moment
    const total = 90;
    const started = Date.now();
    const first = await Promise.all(
      Array.from({ length: total }, (_, n) => {
        const sends = [post(urls[n % 3]!, update(n))];
        if (n % 3 === 0) sends.push(post(urls[(n + 1) % 3]!, update(n)));
        return Promise.all(sends);
      }),
    );
    const phase1Ms = Date.now() - started;
    // the platform redelivers every update to yet another instance until it is answered 200 (a 503 means retry)
    const unanswered = new Set(Array.from({ length: total }, (_, n) => n));
    for (let round = 0; unanswered.size > 0 && round < 20; round += 1) {
      await Promise.all(
        [...unanswered].map(async (n) =>
          (await post(urls[(n + 2 + round) % 3]!, update(n))) === 200 ? unanswered.delete(n) : undefined,
        ),
      );
    }
    expect(unanswered.size).toBe(0);
    expect(first.flat().every((status) => status === 200 || status === 503)).toBe(true);
    let ids = await streamIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(total);

    // phase 2: 90 more; instance 0 is SIGKILLed mid-run; the client redelivers whatever was not answered 200
    const acknowledged = new Set<number>();
    const pending = new Set(Array.from({ length: total }, (_, n) => total + n));
    let killed = false;
    for (let round = 0; pending.size > 0 && round < 20; round += 1) {
      const batch = [...pending];
      await Promise.all(
        batch.map(async (n, index) => {
          const alive = killed ? [1, 2] : [0, 1, 2];
          if (!killed && round === 0 && index === Math.floor(batch.length / 3)) {
            killed = true;
            instances[0]!.child.kill("SIGKILL");
          }
          const status = await post(urls[alive[(n + round) % alive.length]!]!, update(n));
          if (status === 200) {
            acknowledged.add(n);
            pending.delete(n);
          }
        }),
      );
    }
    expect(killed).toBe(true);
    expect(pending.size).toBe(0);
    ids = await streamIds();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(2 * total);
    // every id is the event of one update (the event id is derived from the block and the update)
    const published = await Promise.all(
      Array.from({ length: ids.length }, async (_, seq) =>
        (await jsm.streams.getMessage(stream, { seq: seq + 1 }))!.json<{
          metadata: { raw_platform_event_id?: string };
          workspace_id: string;
        }>(),
      ),
    );
    expect(published.every((event) => event.workspace_id === "ws.scale *1")).toBe(true);

    // the consumer side of the pipeline: every event of the stream reaches the router exactly once
    const handled = new Map<string, number>();
    const router = createRouter().on("*", (event) => {
      handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
    });
    const consumer = await createJetStreamConsumer({
      servers: NATS_URL,
      stream,
      durable: "scale_workers",
      subjectPrefix: prefix,
      router,
    });
    try {
      await until(() => handled.size >= ids.length, 20_000, "every event handled");
      // a little longer, so a second delivery of anything would show
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await consumer.close(AbortSignal.timeout(5_000));
    }
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    expect([...handled.values()].every((times) => times === 1)).toBe(true);
    expect(consumer.stats.handled).toBe(ids.length);
    process.stderr.write(
      `three-instances: phase 1 put ${total} events (${total + total / 3} requests) into the stream in ${phase1Ms} ms\n`,
    );
  });
});
