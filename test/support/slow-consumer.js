#!/usr/bin/env node
/*
 * A test-only consumer (the built package, dist/) whose handler or commit can be made slow, so that a test's SIGKILL
 * lands at a known point: `--pause handler` holds each event inside the handler (after printing `start <id>`),
 * `--pause commit` holds it after the idempotency commit and before the ack (after printing `committed <id>`).
 * `done <id>` means the handler finished. Plain JavaScript so it runs without ts-jest: node test/support/slow-consumer.js
 */
const { parseArgs } = require("node:util");
const { createJetStreamConsumer, RedisStore } = require("../../dist/delivery");

const { values } = parseArgs({
  options: {
    servers: { type: "string" },
    stream: { type: "string" },
    durable: { type: "string" },
    prefix: { type: "string" },
    redis: { type: "string" },
    "key-prefix": { type: "string" },
    "ack-wait": { type: "string" },
    pause: { type: "string" },
    "pause-ms": { type: "string" },
    "pause-from": { type: "string" },
  },
});
const pauseMs = Number(values["pause-ms"] ?? "0");
// events before this many handled are not paused, so the kill lands mid-stream
const pauseFrom = Number(values["pause-from"] ?? "0");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (text) => new Promise((resolve) => process.stdout.write(text + "\n", resolve));
let handled = 0;

async function main() {
  let store;
  if (values.redis !== undefined) {
    const redis = new RedisStore({ url: values.redis, keyPrefix: values["key-prefix"] });
    store = {
      kind: "redis",
      claim: (key, leaseMs) => redis.claim(key, leaseMs),
      release: (key, token) => redis.release(key, token),
      stats: () => redis.stats(),
      close: () => redis.close(),
      async commit(key, token, ttlMs) {
        await redis.commit(key, token, ttlMs);
        await say(`committed ${key.slice(key.lastIndexOf(":") + 1)}`);
        if (values.pause === "commit" && handled > pauseFrom) await sleep(pauseMs);
      },
    };
  }
  const consumer = await createJetStreamConsumer({
    servers: values.servers,
    stream: values.stream,
    durable: values.durable,
    subjectPrefix: values.prefix,
    ackWaitMs: Number(values["ack-wait"] ?? "2000"),
    ...(store === undefined ? {} : { idempotency: { store, keyPrefix: "" } }),
    router: {
      async dispatch(event) {
        await say(`start ${event.id}`);
        if (values.pause === "handler" && handled >= pauseFrom) await sleep(pauseMs);
        handled += 1;
        await say(`done ${event.id}`);
      },
    },
  });
  process.once("SIGTERM", async () => {
    await consumer.close(AbortSignal.timeout(10_000));
    await store?.close();
    await say(`stats ${JSON.stringify(consumer.stats)}`);
    process.exit(0);
  });
  await say("ready");
}

main().catch((error) => {
  process.stderr.write(`slow-consumer: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
