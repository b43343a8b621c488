import { createRouter } from "../../src/core";
import { createDelivery, MemoryStore, type IdempotencyStore, type Sink } from "../../src/delivery";
import { batchOf, captureLogger, counter, follow, gate, info, poll, recordingSink } from "./support";

/* The delivery step over the embedded store: claim → sinks → handlers → commit, or release on failure. */
describe("createDelivery with the memory store", () => {
  it("runs the handlers of a batch delivered 3 times once, and acknowledges every delivery", async () => {
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const sink = recordingSink();
    const delivery = createDelivery({ router, sinks: [sink] });
    const batch = batchOf("a", "b", "c");
    const outcomes = [];
    for (let round = 0; round < 3; round += 1) outcomes.push(await delivery.run(batch, info));
    expect([...calls.counts.values()]).toEqual([1, 1, 1]);
    expect(sink.ids).toEqual(batch.events.map((event) => event.id));
    expect(outcomes.map((outcome) => [outcome.status, outcome.handled, outcome.duplicates])).toEqual([
      [200, 3, 0],
      [200, 0, 3],
      [200, 0, 3],
    ]);
    expect(delivery.stats()).toMatchObject({
      handled: 3,
      duplicates: 6,
      failed: 0,
      store: { kind: "memory", size: 6 },
    });
  });

  it("logs duplicates once per delivery, at debug level", async () => {
    const logger = captureLogger();
    const delivery = createDelivery({ logger });
    await delivery.run(batchOf("a", "b"), info);
    await delivery.run(batchOf("a", "b"), info);
    const lines = logger.lines.filter((line) => line.message.startsWith("duplicates"));
    expect(lines).toEqual([expect.objectContaining({ level: "debug", fields: expect.objectContaining({ count: 2 }) })]);
  });

  it("fails only the event whose handler failed; the redelivery runs only that event's handlers, then answers 200", async () => {
    const calls = counter();
    const failing = follow("b").id;
    let failOnce = true;
    const router = createRouter()
      .on("messaging.follow", (event) => void calls.bump(`first:${event.id}`))
      .on("messaging.*", (event) => {
        calls.bump(`second:${event.id}`);
        if (event.id === failing && failOnce) throw new Error("crm is down");
      });
    const sink = recordingSink();
    const delivery = createDelivery({ router, sinks: [sink] });
    const batch = batchOf("a", "b", "c");

    const first = await delivery.run(batch, info);
    expect(first).toMatchObject({ status: 500, handled: 2, failed: 1 });
    expect(first.failures).toEqual([
      {
        id: failing,
        type: "messaging.follow",
        code: "handler_failed",
        status: 500,
        message: expect.stringContaining("crm is down"),
      },
    ]);

    failOnce = false;
    const second = await delivery.run(batch, info);
    expect(second).toMatchObject({ status: 200, handled: 1, duplicates: 2, failed: 0 });
    const [a, b, c] = batch.events.map((event) => event.id);
    expect(Object.fromEntries(calls.counts)).toEqual({
      [`first:${a}`]: 1,
      [`second:${a}`]: 1,
      [`first:${b}`]: 2,
      [`second:${b}`]: 2,
      [`first:${c}`]: 1,
      [`second:${c}`]: 1,
    });
    // the sink had accepted b the first time: its own claim keeps it from receiving b again
    expect(sink.ids).toEqual([a, b, c]);
  });

  it("fails a hung handler at the deadline, releases its claim, logs the late result, and the redelivery succeeds", async () => {
    const logger = captureLogger();
    const hold = gate();
    let hang = true;
    const calls = counter();
    const router = createRouter().on("messaging.follow", async (event) => {
      calls.bump(event.id);
      if (hang) await hold.opened;
    });
    const delivery = createDelivery({ router, deadlines: { telegram: 150 }, logger });
    const batch = batchOf("a", "b");
    const started = Date.now();
    const first = await delivery.run(batch, info);
    const elapsed = Date.now() - started;
    expect(first).toMatchObject({ status: 500, handled: 0, failed: 2 });
    expect(first.failures.map((failure) => failure.code)).toEqual(["deadline_exceeded", "deadline_exceeded"]);
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1000);
    expect(calls.counts.get(batch.events[1]!.id)).toBeUndefined(); // b never started: the deadline had passed

    hang = false;
    const second = await delivery.run(batch, info);
    expect(second).toMatchObject({ status: 200, handled: 2 });

    hold.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: expect.stringContaining("after its deadline"),
        fields: expect.objectContaining({ outcome: "fulfilled" }),
      }),
    );
    expect(delivery.stats()).toMatchObject({ timed_out: 2, late: 1 });
  });

  it("answers 503 with Retry-After seconds while another delivery holds an event, and 200 once it committed", async () => {
    const hold = gate();
    const calls = counter();
    const store = new MemoryStore();
    const router = createRouter().on("messaging.follow", async (event) => {
      calls.bump(event.id);
      await hold.opened;
    });
    const one = createDelivery({ store, router });
    const two = createDelivery({ store, router });
    const batch = batchOf("a");
    const running = one.run(batch, info);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const meanwhile = await two.run(batch, info);
    expect(meanwhile).toMatchObject({ status: 503, in_flight: 1, handled: 0, retry_after_s: 51 });
    hold.open();
    expect(await running).toMatchObject({ status: 200, handled: 1 });
    expect(await two.run(batch, info)).toMatchObject({ status: 200, duplicates: 1 });
    expect(calls.counts.get(batch.events[0]!.id)).toBe(1);
  });

  it("fails every event of a batch its sink refused, without running their handlers; the redelivery runs them", async () => {
    let refuse = true;
    const accepted: string[] = [];
    const sink: Sink = {
      name: "flaky",
      async write(batch) {
        if (refuse) throw new Error("disk full");
        accepted.push(...batch.events.map((event) => event.id));
      },
      async close() {},
    };
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const delivery = createDelivery({ router, sinks: [sink] });
    const batch = batchOf("a", "b");
    const first = await delivery.run(batch, info);
    expect(first).toMatchObject({ status: 500, failed: 2 });
    expect(first.failures[0]).toMatchObject({ code: "sink_failed", message: expect.stringContaining("disk full") });
    expect(calls.counts.size).toBe(0);
    refuse = false;
    expect(await delivery.run(batch, info)).toMatchObject({ status: 200, handled: 2 });
    expect(accepted).toHaveLength(2);
    expect([...calls.counts.values()]).toEqual([1, 1]);
  });

  it("gives a sink that outlives the deadline an aborted signal and fails its events", async () => {
    let aborted = false;
    const sink: Sink = {
      name: "stalled",
      write: (_batch, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () => ((aborted = true), reject(signal.reason))),
        ),
      async close() {},
    };
    const outcome = await createDelivery({ sinks: [sink], deadlines: 50 }).run(batchOf("a"), info);
    // a dependency too slow to answer before the deadline is "later" (503 with Retry-After), never a 500
    expect(outcome).toMatchObject({
      status: 503,
      retry_after_s: 2,
      failed: 1,
      failures: [
        expect.objectContaining({
          code: "sink_unavailable",
          status: 503,
          message: expect.stringContaining("within the deadline of 50 ms"),
        }),
      ],
    });
    expect(aborted).toBe(true);
  });

  it("bounds a sink that says it ignores its signal by the deadline too, and gives it a signal that never aborts", async () => {
    let given: AbortSignal | undefined;
    const sink: Sink = {
      name: "ignoring",
      ignoresSignal: true,
      write: (_batch, signal) => ((given = signal), new Promise(() => undefined)),
      async close() {},
    };
    const started = Date.now();
    const outcome = await createDelivery({ sinks: [sink], deadlines: 50 }).run(batchOf("a"), info);
    // a dependency too slow to answer before the deadline is "later" (503 with Retry-After), never a 500
    expect(outcome).toMatchObject({
      status: 503,
      retry_after_s: 2,
      failed: 1,
      failures: [
        expect.objectContaining({
          code: "sink_unavailable",
          status: 503,
          message: expect.stringContaining("within the deadline of 50 ms"),
        }),
      ],
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(given?.aborted).toBe(false);
  });

  it("delivers unhandled records to the sinks and onUnhandled handlers once, keyed by their platform id", async () => {
    const seen = counter();
    const router = createRouter().onUnhandled((item) => void seen.bump(item.raw_platform_event_id ?? ""));
    const sink = recordingSink();
    const delivery = createDelivery({ router, sinks: [sink] });
    const batch = { events: [follow("a")], unhandled: [poll("p1"), poll("p2")] };
    expect(await delivery.run(batch, info)).toMatchObject({ status: 200, handled: 1, unhandled: 2 });
    // a redelivery gets a new received_at, which must not make the record look new
    const again = {
      events: batch.events,
      unhandled: batch.unhandled.map((item) => ({ ...item, received_at: "2026-11-22T13:00:00.000Z" })),
    };
    expect(await delivery.run(again, info)).toMatchObject({ status: 200, unhandled: 0, duplicates: 3 });
    expect(sink.unhandledKinds).toEqual(["poll:p1", "poll:p2"]);
    expect(Object.fromEntries(seen.counts)).toEqual({ p1: 1, p2: 1 });
  });

  it("runs an event repeated inside one batch once (Meta sometimes sends the same mid twice in one POST)", async () => {
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const outcome = await createDelivery({ router }).run(batchOf("a", "a"), info);
    expect(outcome).toMatchObject({ status: 200, handled: 1, duplicates: 1 });
    expect([...calls.counts.values()]).toEqual([1]);
  });

  it("answers 503 when the store cannot be reached, and runs nothing", async () => {
    // a store answering by promise (as Redis does), and one answering immediately (as the memory store does)
    const remote: IdempotencyStore = {
      kind: "remote",
      claim: () => Promise.reject(new Error("connection refused")),
      commit: () => Promise.resolve(),
      release: () => Promise.resolve(),
      stats: () => ({}),
      close: () => Promise.resolve(),
    };
    const local = new MemoryStore();
    local.claimNow = () => {
      throw new Error("connection refused");
    };
    for (const broken of [remote, local]) {
      const calls = counter();
      const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
      const outcome = await createDelivery({ store: broken, router }).run(batchOf("a"), info);
      expect(outcome).toMatchObject({
        status: 503,
        failed: 1,
        failures: [expect.objectContaining({ code: "store_unavailable" })],
      });
      expect(calls.counts.size).toBe(0);
    }
  });

  it("runs every time without a store (idempotency off)", async () => {
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const delivery = createDelivery({ store: false, router });
    await delivery.run(batchOf("a"), info);
    await delivery.run(batchOf("a"), info);
    expect([...calls.counts.values()]).toEqual([2]);
  });

  it("keeps committed ids for the platform's TTL, overridable", () => {
    const delivery = createDelivery({ ttl: { line: 1000 } });
    expect(delivery.policy.ttl.for("whatsapp")).toBe(7 * 24 * 3600 * 1000);
    expect(delivery.policy.ttl.for("line")).toBe(1000);
    expect(delivery.policy.ttl.for("viber")).toBe(24 * 3600 * 1000);
    expect(delivery.policy.deadlines.for("line")).toBe(1500);
    expect(createDelivery({ deadlines: 300 }).policy.deadlines.for("telegram")).toBe(300);
    expect(() => createDelivery({ ttl: { line: -1 } })).toThrow(/ttl for line/);
  });
});
