import { createRouter } from "../../src/core";
import { createDelivery, RedisStore } from "../../src/delivery";
import { deleteKeys, describeRedis, REDIS_URL, uniquePrefix } from "../support/redis";
import { batchOf, counter, info, recordingSink } from "./support";

/* Two deliveries (two instances, in effect) share one Redis and no memory store. */
describeRedis("createDelivery over a shared Redis store", () => {
  const prefix = uniquePrefix("delivery");
  const stores: RedisStore[] = [];

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await deleteKeys(prefix);
  });

  function instance(calls: ReturnType<typeof counter>, sinkIds: string[]) {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: prefix });
    stores.push(store);
    const router = createRouter().on("messaging.follow", async (event) => {
      calls.bump(event.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const sink = recordingSink();
    const delivery = createDelivery({
      store,
      router,
      sinks: [
        {
          ...sink,
          write: async (batch, signal) => {
            await sink.write(batch, signal);
            sinkIds.push(...batch.events.map((event) => event.id));
          },
        },
      ],
    });
    return delivery;
  }

  it("runs each event's handlers exactly once across both when they get the same batch at the same moment", async () => {
    const calls = counter();
    const sinkIds: string[] = [];
    const [one, two] = [instance(calls, sinkIds), instance(calls, sinkIds)];
    const batch = batchOf(...Array.from({ length: 30 }, (_, index) => `k${index}`));

    const [first, second] = await Promise.all([one.run(batch, info), two.run(batch, info)]);
    // every event was handled by exactly one of them; the other answered "later" for what it found in flight
    expect(first.handled + second.handled).toBe(30);
    expect(first.in_flight + second.in_flight + first.duplicates + second.duplicates).toBe(30);
    for (const outcome of [first, second]) expect(outcome.status).toBe(outcome.in_flight > 0 ? 503 : 200);

    // the platform redelivers whatever was not answered 200, to either instance
    for (const [index, outcome] of [first, second].entries()) {
      if (outcome.status !== 200)
        expect(await [two, one][index]!.run(batch, info)).toMatchObject({ status: 200, handled: 0, duplicates: 30 });
    }
    expect(calls.counts.size).toBe(30);
    expect([...calls.counts.values()].every((count) => count === 1)).toBe(true);
    expect(new Set(sinkIds).size).toBe(30);
    expect(sinkIds).toHaveLength(30);
  });
});
