import type { ChildProcess } from "node:child_process";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { UnifiedEvent } from "../../src/core";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import {
  CLI,
  extraCopies,
  SLOW_CONSUMER,
  spawnConsumer,
  until,
  workload,
  type ConsumerProcess,
} from "../support/consumers";
import { describeNats, NATS_URL, natsUp, uniqueName } from "../support/nats";
import { deleteKeys, REDIS_URL, redisUp, uniquePrefix } from "../support/redis";
import { describeWhen } from "../support/service";

/*
 * `convotic consume` (the built CLI: `npm run build` first) with a durable consumer, stopped mid-stream and
 * restarted under the same name (issue 16: "the consumer is killed mid-stream and a restarted consumer resumes
 * without loss or double handling").
 */
jest.setTimeout(120_000);

const ACK_WAIT = "2s";

/**
 * A stream holding 300 events, filled by the JetStream sink before the suite and deleted after it, with the consumer
 * processes a test starts (still running ones are SIGKILLed at the end).
 */
function useFilledStream(streamName: string, prefixName: string, cleanup?: () => Promise<void>) {
  const prefix = uniqueName(prefixName);
  const filled = {
    stream: uniqueName(streamName),
    prefix,
    events: workload(300, prefix) as UnifiedEvent[],
    children: [] as ChildProcess[],
    nc: undefined as NatsConnection | undefined,
    jsm: undefined as unknown as JetStreamManager,
  };
  beforeAll(async () => {
    filled.nc = await connect({ servers: NATS_URL, timeout: 3000 });
    filled.jsm = await jetstreamManager(filled.nc);
    const sink = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      stream: { name: filled.stream, storage: "memory" },
    }) as JetStreamSink;
    await sink.write({ events: filled.events, unhandled: [] }, AbortSignal.timeout(20_000));
    await sink.close(AbortSignal.timeout(5000));
  });
  afterAll(async () => {
    for (const child of filled.children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await filled.jsm?.streams.delete(filled.stream).catch(() => undefined);
    await filled.nc?.close();
    await cleanup?.();
  });
  return filled;
}

describeNats("convotic consume stopped mid-stream and restarted (real NATS)", () => {
  const filled = useFilledStream("convotic_test_kill", "ck");
  const { stream, prefix, events, children } = filled;

  const consume = (durable: string, handled: string[], extra: readonly string[] = []): ConsumerProcess =>
    spawnConsumer(
      CLI,
      [
        "consume",
        "--servers",
        NATS_URL,
        "--stream",
        stream,
        "--durable",
        durable,
        "--subject-prefix",
        prefix,
        "--ack-wait",
        ACK_WAIT,
        ...extra,
      ],
      (line) => handled.push((JSON.parse(line) as { id: string }).id),
      children,
    );

  async function settled(durable: string): Promise<void> {
    // nothing pending or awaiting an ack: a redelivery still to come would show here
    const info = await filled.jsm.consumers.info(stream, durable);
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

/*
 * SIGKILL with the idempotency store (Redis): the consumer claims each event id before handling it and commits it
 * after, then acks. test/support/slow-consumer.js pauses inside the handler or between the commit and the ack, so
 * the kill lands there for certain; `convotic consume --redis` is killed at random points.
 */
describeWhen(natsUp && redisUp)(
  "consumers SIGKILLed and restarted, with the Redis idempotency store (real NATS and Redis)",
  () => {
    const keys = uniquePrefix("consume-kill");
    const filled = useFilledStream("convotic_test_sigkill", "sk", () => deleteKeys(keys));
    const { stream, prefix, events, children } = filled;
    const ids = new Set(events.map((event) => event.id));

    function slow(
      durable: string,
      lines: string[],
      pause: { where: "handler" | "commit"; from: number; ms: number } | undefined,
    ): ConsumerProcess {
      const args = [
        "--servers",
        NATS_URL,
        "--stream",
        stream,
        "--durable",
        durable,
        "--prefix",
        prefix,
        "--ack-wait",
        "2000",
      ];
      args.push("--redis", REDIS_URL, "--key-prefix", `${keys}${durable}:`);
      if (pause !== undefined)
        args.push("--pause", pause.where, "--pause-from", String(pause.from), "--pause-ms", String(pause.ms));
      return spawnConsumer(SLOW_CONSUMER, args, (line) => lines.push(line), children);
    }
    const having = (lines: readonly string[], word: string) =>
      lines.filter((line) => line.startsWith(`${word} `)).map((line) => line.slice(word.length + 1));

    async function finish(
      durable: string,
      before: readonly string[],
      consumer: ConsumerProcess,
      lines: string[],
    ): Promise<{ duplicates: number; held: number }> {
      await until(
        () => new Set([...having(before, "done"), ...having(lines, "done")]).size === ids.size,
        60_000,
        "every event handled",
      );
      await new Promise((resolve) => setTimeout(resolve, 2500)); // past ack-wait: a redelivery would show
      consumer.child.kill("SIGTERM");
      expect(await consumer.exited).toBe(0);
      const info = await filled.jsm.consumers.info(stream, durable);
      expect(info.num_pending + info.num_ack_pending).toBe(0);
      return JSON.parse(having(lines, "stats")[0]!) as { duplicates: number; held: number };
    }

    /**
     * A slow consumer pauses at `where` from the 101st event; it is SIGKILLed there (once its log shows `mark` 101
     * times) and restarted under the same durable. Nothing may be lost or handled twice across the two runs.
     */
    async function killThenRestart(
      durable: string,
      where: "handler" | "commit",
      mark: "start" | "committed",
      what: string,
    ) {
      const first: string[] = [];
      const killed = slow(durable, first, { where, from: 100, ms: 60_000 });
      await until(() => having(first, mark).length > 100, 30_000, what);
      killed.child.kill("SIGKILL");
      await killed.exited;
      const inHand = having(first, mark).at(-1)!;
      const second: string[] = [];
      const stats = await finish(durable, first, slow(durable, second, undefined), second);
      const done = [...having(first, "done"), ...having(second, "done")];
      expect(new Set(done)).toEqual(ids);
      expect(extraCopies(done)).toBe(0);
      return { first, second, inHand, stats };
    }

    it("SIGKILL while a handler runs: the restart handles that event once (after the claim's lease), nothing lost or doubled", async () => {
      const { first, second, inHand, stats } = await killThenRestart(
        "in_handler",
        "handler",
        "start",
        "the 101st handler started",
      );
      expect(having(first, "done")).not.toContain(inHand);
      expect(having(second, "done")).toContain(inHand);
      expect(stats.duplicates).toBe(0);
    });

    it("SIGKILL after the commit and before the ack: the restart acks that event without handling it again", async () => {
      const { first, second, inHand, stats } = await killThenRestart(
        "after_commit",
        "commit",
        "committed",
        "the 101st commit",
      );
      expect(having(first, "done")).toContain(inHand); // handled, committed, never acked
      expect(having(second, "done")).not.toContain(inHand);
      expect(stats.duplicates).toBe(1); // the redelivery, acked without handling
    });

    it("convotic consume --redis SIGKILLed at random points: nothing lost, at most one event handled twice per kill", async () => {
      const durable = "random";
      const kills = 3;
      const handled: string[] = [];
      const consume = () =>
        spawnConsumer(
          CLI,
          [
            "consume",
            "--servers",
            NATS_URL,
            "--stream",
            stream,
            "--durable",
            durable,
            "--subject-prefix",
            prefix,
            "--ack-wait",
            "2s",
            "--redis",
            REDIS_URL,
          ],
          (line) => handled.push((JSON.parse(line) as { id: string }).id),
          children,
        );
      // the CLI's store keys are convotic:idem:convotic:consume:<stream>:<durable>:<id>; this stream name is unique
      for (let kill = 0; kill < kills; kill += 1) {
        const child = consume();
        const start = handled.length;
        // a random point once this process is handling: after 1 to 40 more events
        const after = 1 + Math.floor(Math.random() * 40);
        await until(() => handled.length >= start + after, 30_000, "handling under way");
        child.child.kill("SIGKILL");
        await child.exited;
      }
      const last = consume();
      await until(() => new Set(handled).size === ids.size, 60_000, "every event handled");
      await new Promise((resolve) => setTimeout(resolve, 2500));
      last.child.kill("SIGTERM");
      expect(await last.exited).toBe(0);
      expect(new Set(handled)).toEqual(ids);
      // the one window: printed, then killed before the commit reached Redis
      expect(extraCopies(handled)).toBeLessThanOrEqual(kills);
      const info = await filled.jsm.consumers.info(stream, durable);
      expect(info.num_pending + info.num_ack_pending).toBe(0);
      await deleteKeys(`convotic:idem:convotic:consume:${stream}:`);
    });
  },
);
