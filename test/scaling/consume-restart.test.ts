import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { createSink, type JetStreamSink } from "../../src/delivery/sinks";
import { goldenEnvelopes } from "../formats/support";
import { describeNats, NATS_URL, uniqueName } from "../support/nats";

/*
 * `convotic consume` (the built CLI) with a durable consumer, stopped mid-stream and restarted under the same name:
 * SIGKILL loses nothing and handles at most the one event it had printed but not yet acknowledged twice (docs/scaling.md: at least once across crashes).
 */
const root = join(__dirname, "..", "..");
const envelopes = goldenEnvelopes().map(({ event }) => event);
jest.setTimeout(60_000);

function spawnConsume(stream: string, durable: string, prefix: string, lines: string[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [join(root, "dist", "cli", "main.js"), "consume", "--servers", NATS_URL, "--stream", stream, "--durable", durable, "--subject-prefix", prefix, "--ack-wait", "2s"],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let rest = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    rest += chunk.toString();
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const part of parts) lines.push((JSON.parse(part) as { id: string }).id);
  });
  return { child, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  const ends = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > ends) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeNats("convotic consume stopped mid-stream and restarted (real NATS)", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const stream = uniqueName("convotic_test_restart");
  const prefix = uniqueName("cr");
  // one envelope per id: the stream keeps one message per Nats-Msg-Id
  const events = [...new Map(envelopes.map((event) => [event.id, event])).values()].slice(0, 200);
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
    const sink = createSink({ kind: "jetstream", servers: NATS_URL, subject_prefix: prefix, stream: { name: stream, storage: "memory" } }) as JetStreamSink;
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(10_000));
    await sink.close(AbortSignal.timeout(5000));
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  // SIGTERM is not here: a graceful stop was seen to re-handle 2-3 of 200 events after restart (open bug, see
  // docs/scaling.md); it gets an exactly-once case once fixed.
  it.each(["SIGKILL"] as const)("resumes after %s without loss", async (signal) => {
    const durable = `restart_${signal}`;
    const handled: string[] = [];
    const first = spawnConsume(stream, durable, prefix, handled);
    children.push(first.child);
    await until(() => handled.length >= events.length / 3);
    first.child.kill(signal);
    await first.exited;
    const before = handled.length;
    expect(before).toBeLessThan(events.length);
    const second = spawnConsume(stream, durable, prefix, handled);
    children.push(second.child);
    await until(() => new Set(handled).size === events.length);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // past ack-wait: a redelivery would show
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(new Set(handled)).toEqual(new Set(events.map((event) => event.id)));
    const twice = handled.length - new Set(handled).size;
    // SIGKILL re-handles at most the one event printed but not yet acknowledged
    expect(twice).toBeLessThanOrEqual(1);
    const info = await jsm.consumers.info(stream, durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });
});
