import { randomUUID } from "node:crypto";
import type { UnifiedEvent } from "../../src/core";
import { RedisStore, StoreUnavailableError } from "../../src/delivery";
import { JetStreamSink } from "../../src/delivery/sinks/jetstream";
import { PrivateServer, waitFor } from "../support/private-servers";

/*
 * Dependencies that heal (issue 22, point 4), at the library level, against private servers this file starts on
 * its own ports (NATS 4231, Redis 6391): a NATS restart that loses a memory stream, a server without JetStream,
 * and a Redis paused with SIGSTOP for 3 s. Each measures its recovery time and prints it.
 */
jest.setTimeout(60_000);

const NATS_PORT = 4231;
const REDIS_PORT = 6391;

function event(n: number): UnifiedEvent {
  return {
    id: `evt_heal_${randomUUID()}_${n}`,
    type: "messaging.message.received",
    workspace_id: "ws_heal",
  } as unknown as UnifiedEvent;
}

/** A logger that keeps its lines, to count them. */
function captureLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

describe("JetStreamSink heals after NATS loses its stream (private nats-server)", () => {
  const nats = new PrivateServer("nats", NATS_PORT, ["-js"]);
  let sink: JetStreamSink | undefined;
  beforeAll(() => nats.start());
  afterAll(async () => {
    await sink?.close(AbortSignal.timeout(2000));
    await nats.stop();
  });

  async function publishes(): Promise<boolean> {
    try {
      await sink!.write({ events: [event(0)], unhandled: [] }, AbortSignal.timeout(5000));
      return true;
    } catch {
      return false;
    }
  }

  it("re-creates a memory stream lost in a NATS restart on the next publish, logs the outage once per interval, and is ready again", async () => {
    sink = new JetStreamSink({
      kind: "jetstream",
      servers: nats.url,
      subject_prefix: "heal",
      stream: { name: "HEAL_LIB", storage: "memory" },
    });
    const { lines, logger } = captureLogger();
    sink.health.attach(logger);
    expect(await publishes()).toBe(true);
    expect(await sink.ready()).toBe(true);

    await nats.kill();
    await nats.start();
    const restarted = Date.now();
    // a burst of failing publishes until the stream is back: each one 503, one log line for all of them
    let failed = 0;
    const recoveryMs = await waitFor(
      "a publish succeeds after the restart",
      async () => {
        const ok = await publishes();
        if (!ok) failed += 1;
        return ok;
      },
      20_000,
      10,
    );
    expect(sink.counts.recreated).toBe(1);
    expect(await sink.ready()).toBe(true);
    const warns = lines.filter((line) => line.level === "warn" || line.level === "error");
    expect(warns.length).toBeLessThanOrEqual(3);
    if (failed > 0) {
      expect(warns.map((line) => line.message).join("\n")).toMatch(
        /stream HEAL_LIB not found; re-creating|did not acknowledge|cannot connect/,
      );
      expect(lines.some((line) => line.level === "info" && /answers again/.test(line.message))).toBe(true);
    }
    console.log(
      `jetstream sink: ${recoveryMs} ms from the NATS restart to the first acknowledged publish (${Date.now() - restarted} ms), ${failed} failed writes, ${warns.length} warn lines`,
    );
  });

  it("says JetStream is not enabled when the server runs without it, and heals when it comes back with it", async () => {
    const { lines, logger } = captureLogger();
    sink!.health.attach(logger);
    await nats.kill();
    await nats.start([]); // no -js
    let failures = 0;
    await waitFor(
      "a publish fails for want of JetStream",
      async () => {
        const ok = await publishes();
        if (!ok) failures += 1;
        return (
          !ok && sink!.health.state.problem !== undefined && /JetStream not enabled/.test(sink!.health.state.problem)
        );
      },
      10_000,
    );
    for (let i = 0; i < 50; i += 1) expect(await publishes()).toBe(false);
    expect(await sink!.ready()).toBe(false);
    const warns = lines.filter((line) => line.level === "warn");
    expect(warns.length).toBeLessThanOrEqual(2);
    // the first line may name the reconnect; the state (and the next interval's line) names what is wrong now
    expect(sink!.health.state.problem).toMatch(/JetStream not enabled on the server/);
    expect(warns.length).toBeGreaterThanOrEqual(1);
    expect(warns.some((line) => /jetstream is not enabled/.test(line.message))).toBe(false);

    await nats.kill();
    await nats.start(["-js"]);
    const recoveryMs = await waitFor("a publish succeeds once JetStream is back", publishes, 20_000, 10);
    expect(await sink!.ready()).toBe(true);
    console.log(
      `jetstream sink: ${recoveryMs} ms from a JetStream-enabled restart to the first acknowledged publish (${failures} + 50 failed writes)`,
    );
  });

  it("/readyz's check re-creates the lost stream by itself, without any publish", async () => {
    await nats.kill();
    await nats.start(["-js"]);
    const readyMs = await waitFor("ready() again", () => sink!.ready(), 20_000, 50);
    expect(sink!.counts.recreated).toBeGreaterThanOrEqual(2);
    console.log(`jetstream sink: ready again ${readyMs} ms after the restart, through the readiness check alone`);
  });

  it("a sink opened while NATS is down refuses at once (connects with backoff, not per request) and publishes once NATS is up", async () => {
    await nats.kill();
    const late = new JetStreamSink({
      kind: "jetstream",
      servers: nats.url,
      subject_prefix: "heal",
      stream: { name: "HEAL_LATE", storage: "memory" },
    });
    try {
      const started = Date.now();
      const refused = await Promise.allSettled(
        Array.from({ length: 100 }, () => late.write({ events: [event(1)], unhandled: [] }, AbortSignal.timeout(5000))),
      );
      expect(
        refused.every(
          (result) => result.status === "rejected" && (result.reason as { status?: number }).status === 503,
        ),
      ).toBe(true);
      expect(Date.now() - started).toBeLessThan(2000);
      await nats.start(["-js"]);
      const up = Date.now();
      const connectMs = await waitFor(
        "a publish once NATS is up",
        () =>
          late.write({ events: [event(2)], unhandled: [] }, AbortSignal.timeout(5000)).then(
            () => true,
            () => false,
          ),
        15_000,
        50,
      );
      console.log(
        `jetstream sink opened while NATS was down: first publish ${connectMs} ms after NATS came up (${Date.now() - up} ms)`,
      );
    } finally {
      await late.close(AbortSignal.timeout(2000));
    }
  });
});

describe("RedisStore releases claims whose reply timed out once Redis answers (private redis-server)", () => {
  const redis = new PrivateServer("redis", REDIS_PORT);
  let store: RedisStore | undefined;
  beforeAll(() => redis.start());
  afterAll(async () => {
    redis.resume();
    await store?.close();
    await redis.stop();
  });

  it("a 3 s SIGSTOP costs about 3 s of refusals, not the 60 s lease; a commit that timed out is applied later", async () => {
    store = new RedisStore({ url: redis.url, commandTimeoutMs: 300, keyPrefix: `heal:${randomUUID()}:` });
    const { lines, logger } = captureLogger();
    store.health.attach(logger);
    const committed = await store.claim("committed", 60_000);
    expect(committed.state).toBe("yours");

    redis.pause();
    const paused = Date.now();
    // claims sent into the stall: Redis takes them when it wakes, but the client gave up on the answers
    const stalled = await Promise.allSettled(Array.from({ length: 20 }, (_, n) => store!.claim(`key${n}`, 60_000)));
    expect(
      stalled.every((result) => result.status === "rejected" && result.reason instanceof StoreUnavailableError),
    ).toBe(true);
    await expect(
      store.commit("committed", committed.state === "yours" ? committed.token : "", 60_000),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(store.pendingSettlements).toBe(21);
    while (Date.now() - paused < 3000) {
      await store.claim("key0", 60_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis.resume();
    const resumed = Date.now();

    // every key the stall left claimed is ours to take again within a few seconds, not after the 60 s lease
    const recoveryMs = await waitFor(
      "every stalled claim released",
      async () => {
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, n) => store!.claim(`key${n}`, 60_000).catch(() => undefined)),
        );
        const free = claims.every((claim) => claim?.state === "yours");
        // what we just took is ours: give it back so the next poll can take it again
        await Promise.all(
          claims.map((claim, n) => (claim?.state === "yours" ? store!.release(`key${n}`, claim.token) : undefined)),
        );
        return free;
      },
      10_000,
      50,
    );
    expect(await store.claim("committed", 60_000)).toEqual({ state: "done" });
    expect(store.pendingSettlements).toBe(0);
    const warns = lines.filter((line) => line.level === "warn");
    // ~50 failed commands in 3 s: the first line and at most one more per 10 s interval
    expect(warns.length).toBeLessThanOrEqual(2);
    expect(warns[0]!.message).toMatch(/Redis did not answer within 300 ms/);
    expect(lines.some((line) => line.level === "info" && /answers again/.test(line.message))).toBe(true);
    console.log(
      `redis store: stalled claims free ${recoveryMs} ms after SIGCONT (${Date.now() - resumed} ms), lease 60 s; ${store.stats()["errors"]} failed commands, ${warns.length} warn lines`,
    );
  });
});
