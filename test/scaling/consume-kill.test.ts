import type { ChildProcess } from "node:child_process";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { UnifiedEvent } from "../../src/core";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { CLI, extraCopies, spawnConsumer, until, workload, type ConsumerProcess } from "../support/consumers";
import { describeNats, NATS_URL, uniqueName } from "../support/nats";

/*
 * `convotic consume` (the built CLI: `npm run build` first) with a durable consumer, stopped mid-stream and
 * restarted under the same name (issue 16: "the consumer is killed mid-stream and a restarted consumer resumes
 * without loss or double handling").
 */
jest.setTimeout(120_000);

const ACK_WAIT = "2s";

describeNats("convotic consume stopped mid-stream and restarted (real NATS)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName("convotic_test_kill");
  const prefix = uniqueName("ck");
  const events: UnifiedEvent[] = workload(300, prefix);
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
    const sink = createSink({ kind: "jetstream", servers: NATS_URL, subject_prefix: prefix, stream: { name: stream, storage: "memory" } }) as JetStreamSink;
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(20_000));
    await sink.close(AbortSignal.timeout(5000));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  const consume = (durable: string, handled: string[], extra: readonly string[] = []): ConsumerProcess =>
    spawnConsumer(
      CLI,
      ["consume", "--servers", NATS_URL, "--stream", stream, "--durable", durable, "--subject-prefix", prefix, "--ack-wait", ACK_WAIT, ...extra],
      (line) => handled.push((JSON.parse(line) as { id: string }).id),
      children,
    );

  async function settled(durable: string): Promise<void> {
    // nothing pending or awaiting an ack: a redelivery still to come would show here
    await until(() => false, 0).catch(() => undefined);
    const info = await jsm.consumers.info(stream, durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  }

  it("SIGTERM mid-stream, then a restart: every event handled exactly once", async () => {
    const durable = "term";
    const handled: string[] = [];
    const first = consume(durable, handled);
    await until(() => handled.length >= events.length / 3, 30_000, "a third handled");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    const before = handled.length;
    expect(before).toBeLessThan(events.length);
    const second = consume(durable, handled);
    await until(() => new Set(handled).size === events.length, 30_000, "every event handled");
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past ack-wait: a redelivery would show
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(new Set(handled)).toEqual(new Set(events.map((event) => event.id)));
    expect(extraCopies(handled)).toBe(0);
    await settled(durable);
  });
});
