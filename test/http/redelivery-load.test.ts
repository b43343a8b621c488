import { createRouter } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { captureLogger, post, secretsFor, serveTest, signedHeaders } from "./support";

/*
 * A small load test (issue 10): a handler that fails at random on 10% of its calls, a client that behaves like a
 * platform (redelivers every non-200, and sometimes sends a second copy at once), 127.0.0.1, a few seconds. At the
 * end every event was handled exactly once and the sink holds each id once.
 */
const EVENTS = 300;
const CONCURRENCY = 16;
const secrets = secretsFor("telegram").valid;
const blocks = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets }];

function update(updateId: number): Buffer {
  const user = { id: 1000 + (updateId % 50), is_bot: false, first_name: "Load" };
  return Buffer.from(
    JSON.stringify({
      update_id: updateId,
      message: {
        message_id: updateId,
        date: 1_790_000_000,
        chat: { id: user.id, type: "private", first_name: "Load" },
        from: user,
        text: `m${updateId}`,
      },
    }),
  );
}

/** A seeded generator, so a failure is reproducible from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

it("handles every event exactly once under random handler failures and redeliveries", async () => {
  const seed = Number(process.env["LOAD_SEED"] ?? Date.now() % 100_000);
  const chance = random(seed);
  const handled = new Map<string, number>();
  let failures = 0;
  const router = createRouter().on("messaging.message.received", async (event) => {
    await new Promise((resolve) => setTimeout(resolve, chance() * 3));
    if (chance() < 0.1) {
      failures += 1;
      throw new Error("random failure");
    }
    handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
  });
  const { url, sink } = await serveTest({ blocks, router, logger: captureLogger(), idempotency: new MemoryStore() });
  const endpoint = url("/webhooks/tg");
  const statuses = new Map<number, number>();
  let requests = 0;

  async function deliver(payload: Buffer): Promise<number> {
    requests += 1;
    const { status } = await post(endpoint, payload, signedHeaders("telegram", payload, secrets));
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    return status;
  }

  /** Like a platform: repeat until 200; now and then a duplicate copy races the original. */
  async function platform(updateId: number): Promise<void> {
    const payload = update(updateId);
    for (let attempt = 1; attempt <= 50; attempt += 1) {
      const copies = chance() < 0.1 ? [deliver(payload), deliver(payload)] : [deliver(payload)];
      const answers = await Promise.all(copies);
      if (answers.includes(200)) return;
    }
    throw new Error(`update ${updateId} was never acknowledged (seed ${seed})`);
  }

  const started = Date.now();
  const queue = Array.from({ length: EVENTS }, (_, index) => 500_000 + index);
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await platform(next);
    }),
  );
  const elapsed = Date.now() - started;

  expect(failures).toBeGreaterThan(0);
  expect(handled.size).toBe(EVENTS);
  expect([...handled.values()].filter((count) => count !== 1)).toEqual([]);
  const sunk = sink.events.map((event) => event.id);
  expect(new Set(sunk).size).toBe(EVENTS);
  expect(sunk).toHaveLength(EVENTS);
  expect([...statuses.keys()].every((status) => [200, 500, 503].includes(status))).toBe(true);
  if (process.env["LOAD_REPORT"] !== undefined) {
    process.stderr.write(
      `load: seed ${seed}, ${EVENTS} events, ${requests} requests, ${failures} handler failures, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${elapsed} ms\n`,
    );
  }
});
