import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { contactId, conversationId, createEvent, type UnifiedEvent } from "../../src/core";
import { createJetStreamConsumer } from "../../src/delivery";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { describeNats, NATS_URL, uniqueName } from "../support/nats";

/*
 * With several messages of a partition in flight (maxAckPending > 1), a failing event is retried in place: a NAK
 * would let its conversation's next event, already delivered, run first.
 */
jest.setTimeout(60_000);

function eventsOf(user: string, count: number): UnifiedEvent[] {
  return Array.from(
    { length: count },
    (_, n) =>
      createEvent("messaging.follow", {
        workspace_id: "ws_rt",
        block_id: "blk_rt",
        platform: "telegram",
        key: `${user}-${n}`,
        timestamp: new Date(Date.parse("2026-12-01T00:00:00.000Z") + n * 1000),
        data: { contact_id: contactId("blk_rt", user), conversation_id: conversationId("blk_rt", user) },
      }) as UnifiedEvent,
  );
}

describeNats("an ordered consumer retrying a failed event in place (real NATS)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName("convotic_test_retry");
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  it("handles the conversation's next event only after the failed one succeeded on its retry", async () => {
    const prefix = uniqueName("rt");
    const sink = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      partitions: 2,
      stream: { name: stream, storage: "memory" },
    }) as JetStreamSink;
    const a = eventsOf("alice", 5);
    const b = eventsOf("bob", 5);
    const events = a.flatMap((event, index) => [event, b[index]!]);
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(10_000));
    await sink.close(AbortSignal.timeout(5000));
    const calls: string[] = [];
    let failures = 0;
    const consumer = await createJetStreamConsumer({
      servers: NATS_URL,
      stream,
      durable: "rt",
      subjectPrefix: prefix,
      ackWaitMs: 2000,
      ordered: { partitions: 2, maxAckPending: 8 },
      router: {
        async dispatch(event) {
          // alice's second event fails twice before it goes through
          if (event.id === a[1]!.id && failures < 2) {
            failures += 1;
            throw new Error("not yet");
          }
          calls.push(event.id);
        },
      },
    });
    const ends = Date.now() + 20_000;
    while (calls.length < events.length && Date.now() < ends) await new Promise((resolve) => setTimeout(resolve, 20));
    await consumer.close(AbortSignal.timeout(5000));
    expect(failures).toBe(2);
    expect(calls.filter((id) => a.some((event) => event.id === id))).toEqual(a.map((event) => event.id));
    expect(calls.filter((id) => b.some((event) => event.id === id))).toEqual(b.map((event) => event.id));
    expect(consumer.stats).toMatchObject({ handled: 10, failed: 2, deadLettered: 0 });
  });
});
