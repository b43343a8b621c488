import Redis from "ioredis";
import { RedisStore, StoreUnavailableError } from "../../src/delivery";
import { describeRedis, REDIS_URL, uniquePrefix } from "../support/redis";

/* Against the real Redis at 127.0.0.1:6379; fails (not skips) when CI is set and Redis does not answer. */
describeRedis("RedisStore", () => {
  const prefix = uniquePrefix("store");
  let admin: Redis;
  const stores: RedisStore[] = [];

  function open(options: { keyPrefix?: string } = {}): RedisStore {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: options.keyPrefix ?? prefix });
    stores.push(store);
    return store;
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all(stores.map((store) => store.close()));
    await admin.quit();
  });

  it("claims with SET NX PX: yours once, then in flight with the lease as TTL; done after commit with the TTL extended", async () => {
    const store = open();
    const first = await store.claim("evt_a", 5000);
    expect(first.state).toBe("yours");
    const leaseTtl = await admin.pttl(`${prefix}evt_a`);
    expect(leaseTtl).toBeGreaterThan(4000);
    expect(leaseTtl).toBeLessThanOrEqual(5000);
    expect((await store.claim("evt_a", 5000)).state).toBe("in_flight");
    await store.commit("evt_a", first.state === "yours" ? first.token : "", 86_400_000);
    expect(await admin.get(`${prefix}evt_a`)).toBe("done");
    expect(await admin.pttl(`${prefix}evt_a`)).toBeGreaterThan(86_000_000);
    expect((await store.claim("evt_a", 5000)).state).toBe("done");
  });

  it("is shared: a second store on the same Redis sees the first one's claims", async () => {
    const [one, two] = [open(), open()];
    expect((await one.claim("evt_shared", 5000)).state).toBe("yours");
    expect((await two.claim("evt_shared", 5000)).state).toBe("in_flight");
  });

  it("releases only a claim its token still holds", async () => {
    const store = open();
    const first = await store.claim("evt_r", 50);
    if (first.state !== "yours") throw new Error("expected the first claim");
    await new Promise((resolve) => setTimeout(resolve, 80)); // the lease lapses; another delivery takes the key
    const second = await store.claim("evt_r", 5000);
    expect(second.state).toBe("yours");
    await store.release("evt_r", first.token);
    expect((await store.claim("evt_r", 5000)).state).toBe("in_flight");
    if (second.state === "yours") await store.release("evt_r", second.token);
    expect(await admin.exists(`${prefix}evt_r`)).toBe(0);
  });

  it("answers concurrent claims of one key with exactly one yours", async () => {
    const [one, two] = [open(), open()];
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? one : two).claim("evt_race", 5000)),
    );
    expect(claims.filter((claim) => claim.state === "yours")).toHaveLength(1);
  });

  it("keeps deployments apart by key prefix", async () => {
    const other = open({ keyPrefix: `${prefix}other:` });
    expect((await open().claim("evt_p", 5000)).state).toBe("yours");
    expect((await other.claim("evt_p", 5000)).state).toBe("yours");
  });

  it("loads its scripts again after SCRIPT FLUSH (a Redis restart or failover)", async () => {
    const store = open();
    await store.claim("evt_before", 5000);
    await admin.script("FLUSH");
    expect((await store.claim("evt_after", 5000)).state).toBe("yours");
  });

  it("fails a claim with store_unavailable (503) within its command timeout when Redis is down", async () => {
    const store = new RedisStore({ url: "redis://127.0.0.1:1", commandTimeoutMs: 300 });
    const started = Date.now();
    await expect(store.claim("evt_x", 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.claim("evt_x", 1000)).rejects.toMatchObject({ code: "store_unavailable", status: 503 });
    expect(Date.now() - started).toBeLessThan(3000);
    await store.close();
  });

  it("answers readiness with a PING: ready while Redis answers, store_unavailable when it does not", async () => {
    const up = open();
    await expect(up.ready()).resolves.toBeUndefined();
    const down = new RedisStore({ url: "redis://127.0.0.1:1", commandTimeoutMs: 300 });
    await expect(down.ready()).rejects.toMatchObject({ code: "store_unavailable", status: 503 });
    await down.close();
    await up.close();
    await expect(up.ready()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
