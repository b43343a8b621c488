#!/usr/bin/env node
/*
 * A test-only ordered consumer (the built package, dist/): `createJetStreamConsumer({ ordered })` with the Redis
 * idempotency store, whose handler RPUSHes `<timestamp> <event id>` to `<key-prefix>conv:<conversation id>` in Redis,
 * a record ordered across processes (a process hands a partition on only after its push and its ack). Prints
 * `handled <id>` per event. `--block-after N`: after N events every later handler hangs before recording and the
 * process prints `blocked`, so a SIGKILL lands with events held mid-handler. Plain JavaScript so it runs without
 * ts-jest: node test/support/ordered-consumer.js
 */
const { parseArgs } = require("node:util");
const Redis = require("ioredis");
const { createJetStreamConsumer, RedisStore } = require("../../dist/delivery");

const { values } = parseArgs({
  options: {
    servers: { type: "string" },
    stream: { type: "string" },
    durable: { type: "string" },
    prefix: { type: "string" },
    partitions: { type: "string" },
    only: { type: "string" },
    "max-ack-pending": { type: "string" },
    "reorder-window": { type: "string" },
    redis: { type: "string" },
    "key-prefix": { type: "string" },
    "ack-wait": { type: "string" },
    "handler-ms": { type: "string" },
    "block-after": { type: "string" },
  },
});
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (text) => new Promise((resolve) => process.stdout.write(text + "\n", resolve));
const handlerMs = Number(values["handler-ms"] ?? "0");
const blockAfter = values["block-after"] === undefined ? Infinity : Number(values["block-after"]);
const keys = values["key-prefix"];
let handled = 0;
let blocked = false;

async function main() {
  const redis = new Redis(values.redis, { maxRetriesPerRequest: 1 });
  const store = new RedisStore({ url: values.redis, keyPrefix: `${keys}idem:` });
  const consumer = await createJetStreamConsumer({
    servers: values.servers,
    stream: values.stream,
    durable: values.durable,
    subjectPrefix: values.prefix,
    ackWaitMs: Number(values["ack-wait"] ?? "2000"),
    idempotency: { store },
    ordered: {
      partitions: Number(values.partitions),
      ...(values.only === undefined ? {} : { only: values.only.split(",").map(Number) }),
      ...(values["max-ack-pending"] === undefined ? {} : { maxAckPending: Number(values["max-ack-pending"]) }),
      ...(values["reorder-window"] === undefined ? {} : { reorderWindowMs: Number(values["reorder-window"]) }),
    },
    router: {
      async dispatch(event) {
        if (handlerMs > 0) await sleep(handlerMs);
        // held here until the SIGKILL: never recorded, its claim and its message left to the others
        if (blocked) await new Promise(() => undefined);
        await redis.rpush(`${keys}conv:${event.data.conversation_id}`, `${Date.parse(event.timestamp)} ${event.id}`);
        await say(`handled ${event.id}`);
        handled += 1;
        if (handled === blockAfter) {
          blocked = true;
          await say("blocked");
        }
      },
    },
  });
  process.once("SIGTERM", async () => {
    await consumer.close(AbortSignal.timeout(10_000));
    await store.close();
    await redis.quit();
    process.exit(0);
  });
  await say("ready");
}

main().catch((error) => {
  process.stderr.write(`ordered-consumer: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
