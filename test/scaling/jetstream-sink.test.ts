import { ConfigError } from "../../src/core";
import {
  createSink,
  escapeSubjectToken,
  JetStreamSink,
  SinksConfig,
  subjectOf,
  unescapeSubjectToken,
} from "../../src/delivery/sinks";
import { goldenEnvelopes } from "../formats/support";
import { describeNats, NATS_URL, uniqueName, useJetStream } from "../support/nats";

const envelopes = goldenEnvelopes().map(({ event }) => event);
const signal = () => AbortSignal.timeout(10_000);

describe("subject escaping", () => {
  it("keeps a workspace id one token whatever it holds, reversibly", () => {
    for (const id of ["ws_1", "a.b", "*", ">", "a b\tc", "ws%41", "é.☃", "x-Y_9"]) {
      const token = escapeSubjectToken(id);
      expect(token).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(unescapeSubjectToken(token)).toBe(id);
    }
    expect(subjectOf("convotic", "acme.eu *", "messaging.message.received")).toBe(
      "convotic.acme%2Eeu%20%2A.messaging.message.received",
    );
  });

  it("rejects a config that could not name a stream or a prefix token", () => {
    expect(() => createSink({ kind: "jetstream", servers: NATS_URL, stream: { name: "a.b" } })).toThrow(ConfigError);
    expect(() =>
      createSink({ kind: "jetstream", servers: NATS_URL, subject_prefix: "a.>", stream: { name: "s" } }),
    ).toThrow(ConfigError);
    expect(
      SinksConfig.safeParse([
        { kind: "jetstream", servers: NATS_URL, stream: { name: "s" } },
        { kind: "jetstream", servers: NATS_URL, stream: { name: "s" } },
      ]).success,
    ).toBe(false);
  });
});

describeNats("jetstream sink (real NATS at 127.0.0.1:4222)", () => {
  const js = useJetStream();

  function sinkFor(extra: Record<string, unknown> = {}): JetStreamSink {
    const stream = uniqueName("convotic_test_sink");
    const prefix = uniqueName("ct");
    js.streams.push(stream);
    return createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: prefix,
      stream: { name: stream, duplicate_window: "1m", max_age: "1h", storage: "memory", ...extra },
    }) as JetStreamSink;
  }

  it("creates the stream from the config, publishes each envelope with its id as Nats-Msg-Id, and a duplicate is dropped", async () => {
    const sink = sinkFor();
    expect(await sink.ready()).toBe(true);
    const info = await js.jsm.streams.info(sink.stream);
    expect(info.config.duplicate_window).toBe(60_000_000_000);
    expect(info.config.max_age).toBe(3_600_000_000_000);
    expect(info.config.storage).toBe("memory");

    const batch = { events: envelopes.slice(0, 12), unhandled: [] };
    await sink.write(batch, signal());
    // the same events again, from "another instance": JetStream's duplicate window drops every one
    const other = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      subject_prefix: sink.subjectFor("x", "y").split(".")[0]!,
      stream: { name: sink.stream, duplicate_window: "1m", max_age: "1h", storage: "memory" },
    }) as JetStreamSink;
    await other.write(batch, signal());
    expect(other.counts).toEqual({ published: 0, duplicates: 12, failures: 0, recreated: 0 });
    expect((await js.jsm.streams.info(sink.stream)).state.messages).toBe(12);

    for (let seq = 1; seq <= 12; seq += 1) {
      const message = await js.jsm.streams.getMessage(sink.stream, { seq });
      const event = batch.events[seq - 1]!;
      expect(message!.header.get("Nats-Msg-Id")).toBe(event.id);
      expect(message!.subject).toBe(sink.subjectFor(event.workspace_id, event.type));
      expect(message!.json()).toEqual(event);
    }
    await sink.close(signal());
    await other.close(signal());
    await expect(sink.write(batch, signal())).rejects.toThrow(/closed/);
  });

  it("updates the settings of an existing stream it manages", async () => {
    const sink = sinkFor();
    expect(await sink.ready()).toBe(true);
    await sink.close(signal());
    const subjects = [`${uniqueName("other")}.>`];
    const again = createSink({
      kind: "jetstream",
      servers: NATS_URL,
      stream: { name: sink.stream, subjects, duplicate_window: "30s", storage: "memory" },
    }) as JetStreamSink;
    expect(await again.ready()).toBe(true);
    const info = await js.jsm.streams.info(sink.stream);
    expect(info.config.duplicate_window).toBe(30_000_000_000);
    expect(info.config.subjects).toEqual(subjects);
    await again.close(signal());
  });

  it("is not ready, and a write is a 503, when the stream cannot be reached", async () => {
    const sink = createSink({
      kind: "jetstream",
      servers: "nats://127.0.0.1:1",
      connect_timeout: 300,
      stream: { name: uniqueName("never") },
    }) as JetStreamSink;
    expect(await sink.ready()).toBe(false);
    await expect(sink.write({ events: envelopes.slice(0, 1), unhandled: [] }, signal())).rejects.toMatchObject({
      status: 503,
      code: "sink_unavailable",
    });
    await sink.close(signal());
  });
});
