import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { ConfigError } from "../../src/core";
import { createSink, FileSink, SinksConfig, StdoutSink, WebhookSink } from "../../src/delivery/sinks";
import { goldenEnvelopes } from "../formats/support";

const envelopes = goldenEnvelopes().map(({ event }) => event);
const batch = { events: envelopes.slice(0, 20), unhandled: [] };
const signal = () => AbortSignal.timeout(5000);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-file-sink-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("file sink", () => {
  it("appends one JSON line per event, in write order, across batches and reopenings", async () => {
    const path = join(dir, "events.jsonl");
    const first = new FileSink({ kind: "file", path, fsync_interval_ms: 0 });
    await Promise.all([
      first.write({ events: batch.events.slice(0, 10), unhandled: [] }, signal()),
      first.write({ events: batch.events.slice(10), unhandled: [] }, signal()),
    ]);
    await first.close(signal());
    const second = new FileSink({ kind: "file", path });
    // the first event again (a redelivery after a crash): already in the file, skipped; a new one is appended
    await second.write({ events: [batch.events[0]!, envelopes[20]!], unhandled: [] }, signal());
    await second.close(signal());
    expect(second.skipped.repeated).toBe(1);
    const lines = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([...batch.events, envelopes[20]]);
    await expect(second.write(batch, signal())).rejects.toThrow(/closed/);
  });

  it("writes the thread-style format with a filter, counting what it skipped", async () => {
    const path = join(dir, "thread.jsonl");
    const sink = new FileSink({ kind: "file", path, format: "thread", filter: ["messaging.message.*"] });
    await sink.write({ events: envelopes, unhandled: [] }, signal());
    await sink.close(signal());
    const lines = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string });
    expect(new Set(lines.map((line) => line.event))).toEqual(
      new Set(["message.received", "message.updated", "message.deleted"]),
    );
    expect(sink.skipped.filtered + sink.skipped.unprojected + lines.length).toBe(envelopes.length);
    expect(sink.skipped.unprojected).toBeGreaterThan(0); // sent, delivered, read… have no thread-style counterpart
  });

  it("rejects (503) when the file cannot be opened, and opens it on a later batch", async () => {
    const sink = new FileSink({ kind: "file", path: join(dir, "missing", "x.jsonl") });
    await expect(sink.write(batch, signal())).rejects.toMatchObject({ status: 503, code: "sink_unavailable" });
    mkdirSync(join(dir, "missing"));
    await sink.write(batch, signal()); // the platform's redelivery succeeds once the directory exists
    await sink.close(signal());
    expect(
      readFileSync(join(dir, "missing", "x.jsonl"), "utf8")
        .trimEnd()
        .split("\n"),
    ).toHaveLength(batch.events.length);
  });
});

describe("file sink fsync schedule", () => {
  async function syncSpy() {
    const probe = await open(join(dir, "probe"), "a");
    const prototype = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    return jest.spyOn(prototype, "sync");
  }
  afterEach(() => jest.restoreAllMocks());

  it("fsyncs before each write resolves with fsync_interval_ms 0", async () => {
    const spy = await syncSpy();
    const sink = new FileSink({ kind: "file", path: join(dir, "a.jsonl"), fsync_interval_ms: 0 });
    for (const event of batch.events.slice(0, 3)) {
      const before = spy.mock.calls.length;
      await sink.write({ events: [event], unhandled: [] }, signal());
      expect(spy.mock.calls.length).toBe(before + 1);
    }
    await sink.close(signal());
  });

  it("fsyncs at most once per interval, and on close", async () => {
    const spy = await syncSpy();
    const sink = new FileSink({ kind: "file", path: join(dir, "b.jsonl"), fsync_interval_ms: 200 });
    for (const event of batch.events.slice(0, 5)) await sink.write({ events: [event], unhandled: [] }, signal());
    expect(spy.mock.calls.length).toBe(1); // the first write, then the interval holds the rest
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(spy.mock.calls.length).toBe(2); // the scheduled one
    await sink.write({ events: batch.events.slice(5, 6), unhandled: [] }, signal());
    await sink.close(signal());
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(3); // close flushes what is left
  });
});

describe("sinks config", () => {
  it("builds every kind from config and refuses bad entries with a ConfigError or zod issues", async () => {
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on("data", (chunk: Buffer) => out.push(chunk));
    const parsed = SinksConfig.parse([
      { kind: "stdout", format: "cloudevents", filter: ["crm.*"] },
      { kind: "file", path: join(dir, "all.jsonl") },
      {
        kind: "webhook",
        name: "crm",
        url: "https://hooks.example.com/x",
        secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        dead_letter: join(dir, "dead.jsonl"),
      },
    ]);
    const built = parsed.map((config) => createSink(config, { stdout, dataDir: dir }));
    expect(built.map((sink) => sink.constructor)).toEqual([StdoutSink, FileSink, WebhookSink]);
    const contact = envelopes.find((event) => event.type === "crm.contact.updated")!;
    await built[0]!.write({ events: [envelopes[0]!, contact], unhandled: [] }, signal());
    expect(JSON.parse(Buffer.concat(out).toString())).toMatchObject({
      specversion: "1.0",
      type: "crm.contact.updated",
    });
    await Promise.all(built.map((sink) => sink.close(signal())));

    expect(
      SinksConfig.safeParse([
        { kind: "file", path: "a" },
        { kind: "file", path: "a" },
      ]).success,
    ).toBe(false);
    expect(SinksConfig.safeParse([{ kind: "kafka" }]).success).toBe(false);
    expect(
      SinksConfig.safeParse([
        { kind: "webhook", name: "x", url: "https://h/", secrets: ["whsec_short"], dead_letter: "d" },
      ]).success,
    ).toBe(false);
    expect(() => createSink({ kind: "stdout", filter: ["no.such.type"] })).toThrow(ConfigError);
  });
});
