import { Writable } from "node:stream";
import { createRouter } from "../../src/core";
import { createDelivery, SinkBackpressureError, StreamSink } from "../../src/delivery";
import { batchOf, counter, info } from "./support";

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

describe("StreamSink", () => {
  it("writes one JSON line per envelope", async () => {
    const reader = stalledReader();
    const sink = new StreamSink(reader.stream);
    const batch = batchOf("a", "b");
    await sink.write(batch);
    reader.release();
    expect(reader.written.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line).id)).toEqual(batch.events.map((event) => event.id));
  });

  it("refuses batches with a 503 once its buffer bound is reached, and takes them again after the reader caught up", async () => {
    const reader = stalledReader();
    const sink = new StreamSink(reader.stream, { maxBufferedBytes: 2000 });
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
    const drain = setInterval(reader.release, 5);
    await sink.close(AbortSignal.timeout(2000));
    clearInterval(drain);
    await expect(sink.write(batchOf("after"))).resolves.toBeUndefined();
  });

  it("makes the delivery answer 503 (retry later) and run no handler while its reader is stalled", async () => {
    const reader = stalledReader();
    const calls = counter();
    const router = createRouter().on("messaging.follow", (event) => void calls.bump(event.id));
    const delivery = createDelivery({ sinks: [new StreamSink(reader.stream, { maxBufferedBytes: 1 })], router });
    expect(await delivery.run(batchOf("a"), info)).toMatchObject({ status: 200 });
    const refused = await delivery.run(batchOf("b"), info);
    expect(refused).toMatchObject({ status: 503, failed: 1, failures: [expect.objectContaining({ code: "sink_backpressure" })] });
    expect(calls.counts.size).toBe(1);
    reader.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await delivery.run(batchOf("b"), info)).toMatchObject({ status: 200, handled: 1 });
  });

  it("fails every batch after its stream broke (EPIPE), and tells its owner once", async () => {
    const broken: unknown[] = [];
    const stream = new Writable({ write: (_chunk, _encoding, callback) => callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })) });
    const sink = new StreamSink(stream, { onBroken: (error) => void broken.push(error) });
    await sink.write(batchOf("a"));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(sink.write(batchOf("b"))).rejects.toMatchObject({ code: "sink_closed", message: expect.stringContaining("EPIPE") });
    expect(broken).toHaveLength(1);
  });

  it("gives up flushing at the signal, naming the unwritten bytes", async () => {
    const reader = stalledReader();
    const sink = new StreamSink(reader.stream);
    await sink.write(batchOf("a"));
    await expect(sink.close(AbortSignal.timeout(50))).rejects.toThrow(/bytes were never written/);
  });
});
