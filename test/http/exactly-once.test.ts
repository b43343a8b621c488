import { createRouter, type UnifiedEvent } from "../../src/core";
import { MemoryStore, RedisStore, type IdempotencyStore } from "../../src/delivery";
import type { WebhookHandlerOptions } from "../../src/http";
import { deleteKeys, describeRedis, REDIS_URL, uniquePrefix } from "../support/redis";
import { captureLogger, post, secretsFor, serveTest, signedHeaders } from "./support";

/*
 * Issue 10 against a real listening server: each event's handlers run once however often the platform delivers,
 * a failed event alone runs again, a hung handler costs a 500 within the deadline, and two servers sharing Redis
 * run a delivery once between them.
 */
const secrets = secretsFor("testchat").valid;
const blocks = [{ id: "chat", platform: "testchat", workspace_id: "ws", secrets }];

function body(events: readonly string[]): Buffer {
  const entry = {
    account: "acct-100",
    events: events.map((id, index) => ({ id, user: `u-${id}`, kind: "follow", ts: 1_790_000_000_000 + index })),
  };
  return Buffer.from(JSON.stringify({ object: "testchat", entry: [entry] }));
}

function deliver(url: string, payload: Buffer) {
  return post(url, payload, signedHeaders("testchat", payload, secrets));
}

/** Counts, per raw event id (`metadata.raw_platform_event_id`), how often the handler ran and how often it succeeded. */
function tally() {
  const runs = new Map<string, number>();
  const done = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const keyOf = (event: UnifiedEvent) => String(event.metadata.raw_platform_event_id);
  return {
    runs,
    done,
    started: (event: UnifiedEvent) => bump(runs, keyOf(event)),
    finished: (event: UnifiedEvent) => bump(done, keyOf(event)),
  };
}

async function server(options: Partial<WebhookHandlerOptions>) {
  const served = await serveTest({ blocks, logger: captureLogger(), idempotency: new MemoryStore(), ...options });
  return { ...served, endpoint: served.url("/webhooks/chat") };
}

describe("exactly-once handling over HTTP (memory store)", () => {
  it("runs the handlers once for a delivery posted 3 times, and answers 200 each time", async () => {
    const counts = tally();
    const router = createRouter().on("messaging.follow", (event) => void counts.finished(event));
    const { endpoint, sink } = await server({ router });
    const payload = body(["e1", "e2"]);
    const statuses = [];
    for (let round = 0; round < 3; round += 1) statuses.push((await deliver(endpoint, payload)).status);
    expect(statuses).toEqual([200, 200, 200]);
    expect(Object.fromEntries(counts.done)).toEqual({ e1: 1, e2: 1 });
    expect(sink.events.map((event) => event.metadata.raw_platform_event_id)).toEqual(["e1", "e2"]);
  });

  it("answers 500 when one event's handler fails; the redelivery runs only that event, then answers 200", async () => {
    const counts = tally();
    let failing = true;
    const router = createRouter().on("messaging.follow", (event) => {
      counts.started(event);
      if (failing && event.metadata.raw_platform_event_id === "f2") throw new Error("crm timeout");
      counts.finished(event);
    });
    const { endpoint, sink } = await server({ router });
    const payload = body(["f1", "f2", "f3"]);
    const first = await deliver(endpoint, payload);
    expect(first.status).toBe(500);
    expect(first.text).not.toContain("crm timeout");
    expect(Object.fromEntries(counts.runs)).toEqual({ f1: 1, f2: 1, f3: 1 });
    failing = false;
    expect((await deliver(endpoint, payload)).status).toBe(200);
    expect(Object.fromEntries(counts.runs)).toEqual({ f1: 1, f2: 2, f3: 1 });
    expect(Object.fromEntries(counts.done)).toEqual({ f1: 1, f2: 1, f3: 1 });
    expect(sink.events.map((event) => event.metadata.raw_platform_event_id)).toEqual(["f1", "f2", "f3"]);
  });

  it("answers 500 within the deadline for a hung handler, and the redelivery succeeds", async () => {
    let hang = true;
    const counts = tally();
    const router = createRouter().on("messaging.follow", async (event) => {
      counts.started(event);
      if (hang) await new Promise(() => undefined);
      counts.finished(event);
    });
    const { endpoint } = await server({ router, deadlines: { testchat: 300 } });
    const started = Date.now();
    const first = await deliver(endpoint, body(["h1"]));
    const elapsed = Date.now() - started;
    expect(first.status).toBe(500);
    expect(first.json()).toMatchObject({ error: { code: "deadline_exceeded" } });
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(1500);
    hang = false;
    expect((await deliver(endpoint, body(["h1"]))).status).toBe(200);
    expect(Object.fromEntries(counts.done)).toEqual({ h1: 1 });
  });

  it("answers 503 with Retry-After while another request holds the event, then 200 as a duplicate", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const counts = tally();
    const router = createRouter().on("messaging.follow", async (event) => {
      await held;
      counts.finished(event);
    });
    const { endpoint } = await server({ router, idempotency: new MemoryStore() });
    const payload = body(["i1"]);
    const first = deliver(endpoint, payload);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await deliver(endpoint, payload);
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(second.json()).toMatchObject({ error: { code: "in_flight" } });
    release();
    expect((await first).status).toBe(200);
    expect((await deliver(endpoint, payload)).status).toBe(200);
    expect(Object.fromEntries(counts.done)).toEqual({ i1: 1 });
  });

  it("runs every delivery when idempotency is off (the library default)", async () => {
    const counts = tally();
    const router = createRouter().on("messaging.follow", (event) => void counts.finished(event));
    const { endpoint } = await server({ router, idempotency: false });
    await deliver(endpoint, body(["o1"]));
    await deliver(endpoint, body(["o1"]));
    expect(Object.fromEntries(counts.done)).toEqual({ o1: 2 });
  });
});

describeRedis("exactly-once handling over HTTP (two servers sharing Redis)", () => {
  const prefix = uniquePrefix("http");
  const stores: IdempotencyStore[] = [];

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await deleteKeys(prefix);
  });

  it("runs a delivery sent to both at the same moment exactly once between them", async () => {
    const counts = tally();
    const router = createRouter().on("messaging.follow", async (event) => {
      counts.started(event);
      await new Promise((resolve) => setTimeout(resolve, 20));
      counts.finished(event);
    });
    const servers = await Promise.all(
      [0, 1].map(() => {
        const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
        stores.push(store);
        return server({ router, idempotency: store });
      }),
    );
    const ids = Array.from({ length: 10 }, (_, index) => `r${index}`);
    const payload = body(ids);
    const answers = await Promise.all(servers.map(({ endpoint }) => deliver(endpoint, payload)));
    for (const answer of answers) expect([200, 503]).toContain(answer.status);
    // the platform redelivers what was not answered 200
    for (const [index, answer] of answers.entries()) {
      if (answer.status !== 200) expect((await deliver(servers[index]!.endpoint, payload)).status).toBe(200);
    }
    expect(Object.fromEntries(counts.runs)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    const sunk = servers.flatMap(({ sink }) => sink.events.map((event) => event.metadata.raw_platform_event_id));
    expect(sunk.sort()).toEqual([...ids].sort());
  });
});
