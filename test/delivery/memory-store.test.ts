import { ConfigError } from "../../src/core";
import { MemoryStore } from "../../src/delivery";

function clockAt(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe("MemoryStore", () => {
  it("claims once: the first is yours, a second is in flight, after commit it is done", async () => {
    const store = new MemoryStore();
    const first = await store.claim("evt_a", 1000);
    expect(first.state).toBe("yours");
    expect((await store.claim("evt_a", 1000)).state).toBe("in_flight");
    await store.commit("evt_a", first.state === "yours" ? first.token : "", 60_000);
    expect((await store.claim("evt_a", 1000)).state).toBe("done");
  });

  it("release makes the key claimable again, but only with the token that holds it", async () => {
    const clock = clockAt();
    const store = new MemoryStore({ now: clock.now });
    const first = await store.claim("evt_a", 1000);
    if (first.state !== "yours") throw new Error("expected the first claim");
    clock.advance(1001); // the lease lapses (a crashed holder) and another delivery takes the key
    const second = await store.claim("evt_a", 1000);
    expect(second.state).toBe("yours");
    await store.release("evt_a", first.token); // the first holder's late release must not free the second's claim
    expect((await store.claim("evt_a", 1000)).state).toBe("in_flight");
    if (second.state === "yours") await store.release("evt_a", second.token);
    expect((await store.claim("evt_a", 1000)).state).toBe("yours");
  });

  it("forgets a done key after its TTL and counts it as expired", async () => {
    const clock = clockAt();
    const store = new MemoryStore({ now: clock.now });
    const claim = await store.claim("evt_a", 1000);
    await store.commit("evt_a", claim.state === "yours" ? claim.token : "", 5000);
    clock.advance(4999);
    expect((await store.claim("evt_a", 1000)).state).toBe("done");
    clock.advance(1);
    expect((await store.claim("evt_a", 1000)).state).toBe("yours");
    expect(store.stats()).toMatchObject({ expired: 1, evictions: 0 });
  });

  it("holds at most max_entries keys, evicting the least recently used, and reports it", async () => {
    const store = new MemoryStore({ maxEntries: 3 });
    for (const key of ["a", "b", "c"]) {
      const claim = await store.claim(key, 1000);
      await store.commit(key, claim.state === "yours" ? claim.token : "", 60_000);
    }
    expect((await store.claim("a", 1000)).state).toBe("done"); // touches a: b is now the least recently used
    await store.claim("d", 1000);
    expect(store.stats()).toEqual({ kind: "memory", size: 3, max_entries: 3, evictions: 1, expired: 0 });
    expect((await store.claim("a", 1000)).state).toBe("done");
    expect((await store.claim("c", 1000)).state).toBe("done");
    expect((await store.claim("b", 1000)).state).toBe("yours"); // b was evicted: it would run again
  });

  it("counts an expired key met at the LRU end as expired, not as an eviction", async () => {
    const clock = clockAt();
    const store = new MemoryStore({ maxEntries: 2, now: clock.now });
    await store.claim("a", 100);
    await store.claim("b", 10_000);
    clock.advance(200);
    await store.claim("c", 10_000);
    expect(store.stats()).toMatchObject({ size: 2, evictions: 0, expired: 1 });
  });

  it("stays within its bound under 10 000 distinct keys", async () => {
    const store = new MemoryStore({ maxEntries: 1000 });
    for (let index = 0; index < 10_000; index += 1) await store.claim(`evt_${index}`, 60_000);
    expect(store.stats()).toMatchObject({ size: 1000, evictions: 9000 });
  });

  it("evicts in least-recently-used order through many claims, touches, commits, releases and clears", () => {
    // a model of the bound: keys oldest first, a claim or commit moves its key to the newest end
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const store = new MemoryStore({ maxEntries: 50 });
    let model: string[] = [];
    const tokens = new Map<string, string>();
    const use = (key: string) => (model = [...model.filter((k) => k !== key), key].slice(-50));
    for (let step = 0; step < 20_000; step += 1) {
      const key = `k${random(120)}`;
      const action = random(10);
      if (action < 6) {
        const claim = store.claimNow(key, 60_000);
        expect(claim.state === "yours").toBe(!model.includes(key));
        if (claim.state === "yours") tokens.set(key, claim.token);
        use(key);
      } else if (action < 8 && tokens.has(key) && model.includes(key)) {
        store.commitNow(key, tokens.get(key)!, 60_000);
        tokens.delete(key);
        use(key);
      } else if (action < 10 && tokens.has(key) && model.includes(key)) {
        store.releaseNow(key, tokens.get(key)!);
        tokens.delete(key);
        model = model.filter((k) => k !== key);
      } else if (step % 5000 === 0) {
        void store.close();
        model = [];
        tokens.clear();
      }
      expect(store.stats().size).toBe(model.length);
    }
    for (const key of model) expect(store.claimNow(key, 60_000).state).not.toBe("yours");
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(ConfigError);
    expect(() => new MemoryStore({ maxEntries: 1.5 })).toThrow(/max_entries/);
  });
});
