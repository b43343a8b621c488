import { Writable } from "node:stream";
import { createRouter } from "../../src/core";
import { createDelivery } from "../../src/delivery";
import { SinkBackpressureError, StdoutSink } from "../../src/delivery/sinks";
import { batchOf, counter, info } from "../delivery/support";

/** A reader that takes bytes only when told to, like a stalled pipe. */
function stalledReader() {
  const pending: (() => void)[] = [];
  const written: string[] = [];
  const stream = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, callback) {
      written.push(String(chunk));
      pending.push(callback);
    },
  });
  return { stream, written, release: () => pending.splice(0).forEach((callback) => callback()) };
}

describe("StdoutSink", () => {
  it("writes one JSON line per envelope", async () => {
    const reader = stalledReader();
    const sink = new StdoutSink({ kind: "stdout" }, reader.stream);
    const batch = batchOf("a", "b");
    await sink.write(batch);
    reader.release();
    expect(
      reader.written
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line).id),
    ).toEqual(batch.events.map((event) => event.id));
  });

  it("refuses batches with a 503 once its buffer bound is reached, and takes them again after the reader caught up", async () => {
    const reader = stalledReader();
    const sink = new StdoutSink({ kind: "stdout", buffer_bytes: 2000 }, reader.stream);
    let accepted = 0;
    let refusal: unknown;
    for (let index = 0; index < 50 && refusal === undefined; index += 1) {
      try {
        await sink.write(batchOf(`k${index}`));
        accepted += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(refusal).toBeInstanceOf(SinkBackpressureError);
    expect(refusal).toMatchObject({ status: 503, code: "sink_backpressure" });
    expect(accepted).toBeGreaterThan(0);
    expect(sink.buffered).toBeLessThan(2000 + 1000); // the bound plus at most one batch
    // the reader resumes: the buffer empties and the sink accepts again
    expect(await sink.ready()).toBe(false);
    const drain = setInterval(reader.release, 5);
    for (let waited = 0; sink.buffered > 0 && waited < 2000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    clearInterval(drain);
    expect(await sink.ready()).toBe(true);
    await expect(sink.write(batchOf("after"))).resolves.toBeUndefined();
    reader.release();
    await sink.close(AbortSignal.timeout(2000));
    await expect(sink.write(batchOf("closed"))).rejects.toMatchObject({ code: "sink_unavailable" });
  });

  it("applies its filter and format", async () => {
    const reader = stalledReader();
    const sink = new StdoutSink({ kind: "stdout", format: "cloudevents", filter: ["crm.*"] }, reader.stream);
    await sink.write(batchOf("a"));
    expect(reader.written).toEqual([]);
    expect(sink.skipped.filtered).toBe(1);
  });

  it("makes the delivery answer 503 (retry later) and run no handler while its reader is stalled", async () => {
    const reader = stalledReader();
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const delivery = createDelivery({
      sinks: [new StdoutSink({ kind: "stdout", buffer_bytes: 1 }, reader.stream)],
      router,
    });
    expect(await delivery.run(batchOf("a"), info)).toMatchObject({ status: 200 });
    const refused = await delivery.run(batchOf("b"), info);
    expect(refused).toMatchObject({
      status: 503,
      failed: 1,
      failures: [expect.objectContaining({ code: "sink_backpressure" })],
    });
    expect(calls.counts.size).toBe(1);
    reader.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await delivery.run(batchOf("b"), info)).toMatchObject({ status: 200, handled: 1 });
  });

  it("fails every batch after its stream broke (EPIPE), and tells its owner once", async () => {
    const broken: unknown[] = [];
    const stream = new Writable({
      write: (_chunk, _encoding, callback) => callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })),
    });
    const sink = new StdoutSink({ kind: "stdout" }, stream, { onBroken: (error) => void broken.push(error) });
    // the batch whose write met the dead reader is refused too: its lines were never written
    await expect(sink.write(batchOf("a"))).rejects.toMatchObject({ code: "sink_closed" });
    await expect(sink.write(batchOf("b"))).rejects.toMatchObject({
      code: "sink_closed",
      message: expect.stringContaining("EPIPE"),
    });
    expect(broken).toHaveLength(1);
  });

  it("writes the batches of one event-loop turn as one write, each resolving only once its lines are in the stream", async () => {
    const writes: string[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, callback) => void (writes.push(String(chunk)), callback()),
    });
    const sink = new StdoutSink({ kind: "stdout" }, stream);
    const seenAtResolve: number[] = [];
    const batches = [batchOf("a"), batchOf("b"), batchOf("c")];
    const pending = batches.map((batch) => sink.write(batch).then(() => void seenAtResolve.push(writes.length)));
    expect(writes).toEqual([]); // nothing is out (and nothing resolved) before the turn ends
    expect(sink.buffered).toBeGreaterThan(0); // what waits counts against the bound
    await Promise.all(pending);
    expect(writes).toHaveLength(1);
    expect(seenAtResolve).toEqual([1, 1, 1]);
    expect(
      writes[0]!
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line).id),
    ).toEqual(batches.map((batch) => batch.events[0]!.id));
    await sink.write(batchOf("d")); // the next turn: its own write
    expect(writes).toHaveLength(2);
  });

  it("fails the batches of a turn whose stream broke before they were written", async () => {
    const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const sink = new StdoutSink({ kind: "stdout" }, stream);
    const waiting = sink.write(batchOf("a"));
    stream.destroy();
    await expect(waiting).rejects.toMatchObject({ code: "sink_closed" });
  });

  it("gives up flushing at the signal, naming the unwritten bytes", async () => {
    const reader = stalledReader();
    const sink = new StdoutSink({ kind: "stdout" }, reader.stream);
    await sink.write(batchOf("a"));
    await expect(sink.close(AbortSignal.timeout(50))).rejects.toThrow(/bytes were never written/);
  });
});
