import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { contactId, conversationId, createEvent, type UnifiedEvent } from "../../src/core";
import { createJetStreamConsumer } from "../../src/delivery";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { describeNats, NATS_URL, uniqueName } from "../support/nats";

/*
 * The reorder window against real NATS: 20 conversations whose deliveries race (each pair of consecutive events
 * reaches the stream swapped, one publish apart), published at a steady rate to a running ordered consumer. Without a window
 * the handlers see the stream's (swapped) order; with a 100 ms window they see the platform's; the latency each
 * event pays is measured (docs/scaling.md quotes these numbers).
 */
jest.setTimeout(120_000);

const CONVERSATIONS = 20;
const PER_CONVERSATION = 10;
const START = Date.parse("2026-12-01T00:00:00.000Z");

function eventsOf(index: number, tag: string): UnifiedEvent[] {
  const user = `${tag}-u${index}`;
  return Array.from(
    { length: PER_CONVERSATION },
    (_, n) =>
      createEvent("messaging.follow", {
        workspace_id: "ws_rw",
        block_id: "blk_rw",
        platform: "telegram",
        key: `${tag}-${index}-${n}`,
        timestamp: new Date(START + n * 1000),
        data: { contact_id: contactId("blk_rw", user), conversation_id: conversationId("blk_rw", user) },
      }) as UnifiedEvent,
  );
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describeNats("the reorder window (real NATS)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  async function measure(windowMs: number) {
    const tag = `w${windowMs}`;
    const stream = uniqueName("convotic_test_reorder");
    const prefix = uniqueName("rw");
    streams.push(stream);
    const sink = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      partitions: 4,
      stream: { name: stream, storage: "memory" },
    }) as JetStreamSink;
    // the stream exists before the consumer binds to it
    expect(await sink.ready()).toBe(true);
    const handled = new Map<string, number[]>();
    const latency: number[] = [];
    const publishedAt = new Map<string, number>();
    const consumer = await createJetStreamConsumer({
      servers: NATS_URL,
      stream,
      durable: "rw",
      subjectPrefix: prefix,
      ordered: { partitions: 4, maxAckPending: 64, reorderWindowMs: windowMs },
      router: {
        async dispatch(event) {
          latency.push(Date.now() - publishedAt.get(event.id)!);
          const conv = (event.data as { conversation_id: string }).conversation_id;
          handled.set(conv, [...(handled.get(conv) ?? []), Date.parse(event.timestamp)]);
        },
      },
    });
    const conversations = Array.from({ length: CONVERSATIONS }, (_, index) => eventsOf(index, tag));
    for (let n = 0; n < PER_CONVERSATION; n += 2) {
      for (const events of conversations) {
        // the platform's n+1 reaches us before its n, one publish apart: a race well inside the window
        for (const event of [events[n + 1]!, events[n]!]) {
          publishedAt.set(event.id, Date.now());
          await sink.write({ events: [event], unhandled: [] }, AbortSignal.timeout(5000));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const total = CONVERSATIONS * PER_CONVERSATION;
    const ends = Date.now() + 30_000;
    while (latency.length < total && Date.now() < ends) await new Promise((resolve) => setTimeout(resolve, 10));
    await consumer.close(AbortSignal.timeout(5000));
    await sink.close(AbortSignal.timeout(5000));
    expect(latency).toHaveLength(total);
    const inOrder = [...handled.values()].filter((times) => times.every((t, i) => i === 0 || t > times[i - 1]!));
    return { inOrder: inOrder.length, p50: percentile(latency, 50), p95: percentile(latency, 95) };
  }

  it("without a window the stream's order; with 100 ms the platform's, for about 100 ms more latency", async () => {
    const none = await measure(0);
    const window = await measure(100);
    process.stderr.write(
      `reorder window: 0 ms → ${none.inOrder}/${CONVERSATIONS} conversations in platform order, latency p50 ${none.p50} ms p95 ${none.p95} ms; ` +
        `100 ms → ${window.inOrder}/${CONVERSATIONS}, p50 ${window.p50} ms p95 ${window.p95} ms\n`,
    );
    expect(none.inOrder).toBe(0);
    expect(window.inOrder).toBe(CONVERSATIONS);
    expect(window.p50).toBeGreaterThanOrEqual(90);
  });
});
