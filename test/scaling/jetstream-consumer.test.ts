import { createRouter } from "../../src/core";
import { createJetStreamConsumer, MemoryStore } from "../../src/delivery";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { goldenEnvelopes } from "../formats/support";
import { until } from "../support/consumers";
import { describeNats, NATS_URL, uniqueName, useJetStream } from "../support/nats";

const envelopes = goldenEnvelopes().map(({ event }) => event);
const signal = () => AbortSignal.timeout(10_000);

jest.setTimeout(30_000);

describeNats("jetstream consumer (real NATS at 127.0.0.1:4222)", () => {
  const js = useJetStream();

  it("feeds the router, acks what succeeded, redelivers a failing event up to max-deliver, then dead-letters it", async () => {
    const stream = uniqueName("convotic_test_consumer");
    const prefix = uniqueName("ct");
    const deadLetterSubject = `${prefix}_dead.letters`;
    js.streams.push(stream, `${stream}_dlq`);
    await js.jsm.streams.add({ name: `${stream}_dlq`, subjects: [deadLetterSubject], storage: "memory" });
    const sink = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      stream: { name: stream, storage: "memory" },
    }) as JetStreamSink;
    const messaging = envelopes.filter((event) => event.type.startsWith("messaging.")).slice(0, 10);
    const others = envelopes.filter((event) => !event.type.startsWith("messaging.")).slice(0, 3);
    await sink.write({ events: [...messaging, ...others], unhandled: [] }, signal());
    await sink.close(signal());

    const poisoned = messaging[3]!.id;
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    const router = createRouter().on("messaging.*", (event) => {
      attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
      if (event.id === poisoned) throw new Error("handler keeps failing");
      handled.push(event.id);
    });
    const failures: { delivery: number; deadLettered: boolean }[] = [];
    const consumer = await createJetStreamConsumer({
      servers: NATS_URL,
      stream,
      durable: "workers",
      filter: "messaging.*",
      subjectPrefix: prefix,
      router,
      ackWaitMs: 2000,
      maxDeliver: 3,
      deadLetterSubject,
      onError: (_error, context) => failures.push({ delivery: context.delivery, deadLettered: context.deadLettered }),
    });
    try {
      await until(() => consumer.stats.deadLettered === 1 && consumer.stats.handled === messaging.length - 1, 15_000);
      expect(handled.sort()).toEqual(
        messaging
          .map((event) => event.id)
          .filter((id) => id !== poisoned)
          .sort(),
      );
      expect(attempts.get(poisoned)).toBe(3);
      expect(failures).toEqual([
        { delivery: 1, deadLettered: false },
        { delivery: 2, deadLettered: false },
        { delivery: 3, deadLettered: true },
      ]);
      const parked = await js.jsm.streams.getMessage(`${stream}_dlq`, { seq: 1 });
      expect(parked!.json()).toEqual(messaging[3]);
      expect(parked!.header.get("Convotic-Failure")).toMatch(/handler keeps failing/);
      // the server filtered the other domains out; everything was acknowledged, nothing waits
      // term() is not confirmed by the server: poll until it counted it
      let info = await js.jsm.consumers.info(stream, "workers");
      for (let tries = 0; tries < 40 && info.num_ack_pending > 0; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        info = await js.jsm.consumers.info(stream, "workers");
      }
      expect(info.num_pending).toBe(0);
      expect(info.num_ack_pending).toBe(0);
      expect(attempts.size).toBe(messaging.length);
    } finally {
      await consumer.close(AbortSignal.timeout(5000));
    }
  });

  it("with an idempotency store: acks a committed event without handling it, and handles a held one once its claim ends", async () => {
    const stream = uniqueName("convotic_test_consumer_idem");
    const prefix = uniqueName("ci");
    js.streams.push(stream);
    const sink = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      stream: { name: stream, storage: "memory" },
    }) as JetStreamSink;
    const events = [...new Map(envelopes.map((event) => [event.id, event])).values()].slice(0, 6);
    await sink.write({ events, unhandled: [] }, signal());
    await sink.close(signal());
    const store = new MemoryStore();
    const keyPrefix = "k:";
    // events[0] was handled before (a consumer killed after its commit, before its ack)
    const before = await store.claim(keyPrefix + events[0]!.id, 60_000);
    if (before.state !== "yours") throw new Error("fresh store");
    await store.commit(keyPrefix + events[0]!.id, before.token, 60_000);
    // events[1] is held by a consumer killed while handling it: its claim ends after 600 ms
    await store.claim(keyPrefix + events[1]!.id, 600);
    const handled: string[] = [];
    const consumer = await createJetStreamConsumer({
      servers: NATS_URL,
      stream,
      durable: "idem",
      subjectPrefix: prefix,
      ackWaitMs: 2000,
      idempotency: { store, keyPrefix, leaseMs: 600 },
      router: { dispatch: async (event) => void handled.push(event.id) },
    });
    try {
      await until(() => handled.length === events.length - 1, 15_000);
      expect(handled.sort()).toEqual(
        events
          .slice(1)
          .map((event) => event.id)
          .sort(),
      );
      expect(consumer.stats.duplicates).toBe(1);
      expect(consumer.stats.held).toBeGreaterThanOrEqual(1);
      // every handled event is committed: a redelivery would be acked without handling
      for (const event of events) expect((await store.claim(keyPrefix + event.id, 1000)).state).toBe("done");
    } finally {
      await consumer.close(AbortSignal.timeout(5000));
    }
    const info = await js.jsm.consumers.info(stream, "idem");
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });
});
