import {
  Duration,
  IdempotencyConfigSchema,
  MemoryStore,
  openStore,
  PerPlatformDuration,
  RedisStore,
} from "../../src/delivery";

describe("delivery configuration", () => {
  it("reads durations with a unit, or numbers of milliseconds", () => {
    expect(["1500ms", "10s", "2m", "36h", "7d", 250].map((value) => Duration.parse(value))).toEqual([
      1500, 10_000, 120_000, 129_600_000, 604_800_000, 250,
    ]);
    expect(Duration.safeParse("10").success).toBe(false);
    expect(Duration.safeParse("-1s").success).toBe(false);
    expect(PerPlatformDuration.parse({ line: "1500ms", default: "5s" })).toEqual({ line: 1500, default: 5000 });
  });

  it("opens the memory store by default, with its bound", async () => {
    const store = openStore(IdempotencyConfigSchema.parse({ store: "memory", max_entries: 500 }));
    expect(store).toBeInstanceOf(MemoryStore);
    expect(store !== false && store.stats()).toMatchObject({ max_entries: 500 });
    expect(openStore(undefined)).toBeInstanceOf(MemoryStore);
    expect(openStore(false)).toBe(false);
  });

  it("opens a Redis store from a URL, and refuses other schemes or unknown keys", async () => {
    const store = openStore(
      IdempotencyConfigSchema.parse({ store: "redis", url: "redis://127.0.0.1:1", command_timeout: "100ms" }),
    );
    expect(store).toBeInstanceOf(RedisStore);
    if (store !== false) await store.close();
    expect(IdempotencyConfigSchema.safeParse({ store: "redis", url: "http://x" }).success).toBe(false);
    expect(IdempotencyConfigSchema.safeParse({ store: "memory", maxEntries: 5 }).success).toBe(false);
  });
});
