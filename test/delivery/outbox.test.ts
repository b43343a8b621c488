import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { UnifiedEvent } from "../../src/core";
import { Outbox } from "../../src/delivery";
import { WebhookSink } from "../../src/delivery/sinks";
import { parseDeadLetters } from "../../src/delivery/sinks/dead-letter";
import { deliveryId } from "../../src/formats/delivery-id";
import { goldenEnvelopes } from "../formats/support";
import { newSecret, startReceiver, until } from "../sinks/receiver";

/*
 * The durable outbox (issue 22): one fsync'd transaction per event-loop turn, FIFO order that survives a reopen,
 * a byte bound that refuses with 503, an age bound that dead-letters, and a webhook sink that resumes from it.
 */
const envelopes = goldenEnvelopes()
  .map(({ event }) => event)
  .filter((event) => event.type.startsWith("messaging."));
const batch = (events: UnifiedEvent[]) => ({ events, unhandled: [] });
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-outbox-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function open(name = "crm", limits: { maxBytes?: number; maxAgeMs?: number } = {}) {
  return Outbox.open({
    path: join(dir, `${name}.sqlite`),
    owner: name,
    maxBytes: limits.maxBytes ?? 1 << 20,
    maxAgeMs: limits.maxAgeMs ?? 60_000,
  });
}
const record = (index: number) => ({ id: `dlv_${index}`, payload: JSON.stringify({ index, pad: "x".repeat(50) }) });

describe("Outbox", () => {
  it("commits every add() of one event-loop turn in one transaction, and resolves each once it is on disk", async () => {
    const outbox = open();
    const adds = Array.from({ length: 200 }, (_, index) => outbox.add([record(index)]));
    expect(outbox.stats().commits).toBe(0);
    await Promise.all(adds);
    expect(outbox.stats()).toMatchObject({ commits: 1, depth: 200 });
    await Promise.all([outbox.add([record(200)]), outbox.add([record(201)])]);
    expect(outbox.stats()).toMatchObject({ commits: 2, depth: 202 });
    outbox.close();
  });

  it("hands entries out oldest first, once each, and in the same order after a reopen, with their progress", async () => {
    const first = open();
    for (let turn = 0; turn < 5; turn += 1) await first.add([record(turn * 2), record(turn * 2 + 1)]);
    const taken = first.next(3);
    expect(taken.map((entry) => entry.id)).toEqual(["dlv_0", "dlv_1", "dlv_2"]);
    expect(first.next(2).map((entry) => entry.id)).toEqual(["dlv_3", "dlv_4"]);
    first.done(taken[0]!);
    taken[1]!.attempts = 3;
    taken[1]!.nextAt = 12345;
    taken[1]!.lastError = "HTTP 500";
    first.retryLater(taken[1]!);
    first.close();

    const second = open();
    const resumed = second.next(100);
    expect(resumed.map((entry) => entry.id)).toEqual([
      "dlv_1",
      "dlv_2",
      "dlv_3",
      "dlv_4",
      "dlv_5",
      "dlv_6",
      "dlv_7",
      "dlv_8",
      "dlv_9",
    ]);
    expect(resumed[0]).toMatchObject({ attempts: 3, nextAt: 12345, lastError: "HTTP 500" });
    // a delivered id, or one still queued, is not queued again (the platform redelivering after a crash)
    await second.add([record(0), record(1), record(10)]);
    expect(second.stats().depth).toBe(10);
    expect(second.next(100).map((entry) => entry.id)).toEqual(["dlv_10"]);
    second.close();
  });

  it("refuses (503 sink_unavailable) an add that would pass max_bytes, and takes more once deliveries free room", async () => {
    const outbox = open("small", { maxBytes: 300 });
    await outbox.add([record(0), record(1), record(2), record(3)]);
    expect(outbox.stats().bytes).toBeGreaterThan(200);
    await expect(outbox.add([record(4)])).rejects.toMatchObject({
      status: 503,
      code: "sink_unavailable",
      message: expect.stringContaining("outbox full"),
    });
    expect(outbox.full).toBe(true); // readiness reports it until the refused write would fit
    for (const entry of outbox.next(2)) outbox.done(entry);
    await new Promise((resolve) => setImmediate(resolve)); // the done marks commit with the next turn's transaction
    await outbox.add([record(4)]);
    expect(outbox.stats().depth).toBe(3);
    outbox.close();
  });

  it("is held by one process at a time: a second open of the same file fails with a clear error", () => {
    const first = open();
    expect(() => open()).toThrow(/in use by another process/);
    first.close();
    open().close();
  });
});

describe("WebhookSink on the outbox", () => {
  it("resumes undelivered entries in order after a restart, with the same webhook-id and its attempts", async () => {
    const secret = newSecret();
    const events = envelopes.slice(0, 4);
    const down = await startReceiver([secret], () => ({ status: 503 }));
    const config = {
      kind: "webhook" as const,
      name: "crm",
      secrets: [secret],
      dead_letter: join(dir, "dead.jsonl"),
      backoff_base_ms: 400,
    };
    const first = new WebhookSink({ ...config, url: down.url }, { dataDir: dir });
    await first.write(batch(events), AbortSignal.timeout(5000));
    await until(() => down.received.length === 1);
    await first.close(AbortSignal.timeout(1000));
    await down.close();
    expect(existsSync(join(dir, "dead.jsonl"))).toBe(false); // nothing dead-lettered at shutdown: it waits on disk

    const up = await startReceiver([secret]);
    try {
      const restarted = Date.now();
      const second = new WebhookSink({ ...config, url: up.url, backoff_base_ms: 10 }, { dataDir: dir });
      expect(second.queued).toBe(4);
      await until(() => second.stats.delivered === 4);
      // the first one's backoff (200-400 ms from its failed attempt) survived the restart
      expect(up.received[0]!.at - restarted).toBeLessThan(1000);
      expect(up.received.map((item) => item.id)).toEqual(events.map((event) => deliveryId(event.id, "crm")));
      expect(down.received[0]!.id).toBe(up.received[0]!.id);
      await second.close(AbortSignal.timeout(1000));
    } finally {
      await up.close();
    }
  });

  it("dead-letters (and logs) entries past max_age instead of dropping them; counts each outcome", async () => {
    const secret = newSecret();
    let clock = Date.now();
    const warnings: Record<string, unknown>[] = [];
    const outcomes: string[] = [];
    const subscriber = await startReceiver([secret], () => ({ status: 500 }));
    try {
      const sink = new WebhookSink(
        {
          kind: "webhook",
          name: "crm",
          url: subscriber.url,
          secrets: [secret],
          dead_letter: join(dir, "dead.jsonl"),
          backoff_base_ms: 20,
          backoff_max_ms: 40,
          outbox: { max_age: "1s" },
        },
        {
          dataDir: dir,
          now: () => clock,
          logger: {
            info: () => undefined,
            error: () => undefined,
            warn: (message, fields) => void warnings.push({ message, ...fields }),
          },
          observer: { delivery: (_sink, outcome) => void outcomes.push(outcome) },
        },
      );
      await sink.write(batch(envelopes.slice(0, 2)), AbortSignal.timeout(5000));
      await until(() => sink.stats.retries >= 2);
      expect(warnings[0]).toMatchObject({
        message: "webhook delivery failed; retrying",
        sink: "crm",
        attempt: 1,
        error: "HTTP 500",
        event_id: envelopes[0]!.id,
      });
      clock += 2000;
      await until(() => sink.stats.dead_lettered === 2);
      const { records } = parseDeadLetters(readFileSync(join(dir, "dead.jsonl"), "utf8"));
      expect(records.map((item) => item.event_id)).toEqual([envelopes[0]!.id, envelopes[1]!.id]);
      expect(records[0]!.last_error).toContain("undelivered after max_age");
      expect(warnings.filter((warning) => warning["message"] === "webhook delivery dead-lettered")).toHaveLength(2);
      expect(outcomes).toContain("retried");
      expect(outcomes.filter((outcome) => outcome === "dead_lettered")).toHaveLength(2);
      expect(sink.queued).toBe(0);
      await sink.close(AbortSignal.timeout(1000));
    } finally {
      await subscriber.close();
    }
  });

  it("is not ready while its oldest entry is past max_age (the worker dead-letters it when it next wakes)", async () => {
    const secret = newSecret();
    let clock = Date.now();
    const subscriber = await startReceiver([secret], () => ({ status: 503 }));
    try {
      const sink = new WebhookSink(
        {
          kind: "webhook",
          name: "crm",
          url: subscriber.url,
          secrets: [secret],
          dead_letter: join(dir, "dead.jsonl"),
          backoff_base_ms: 60_000,
          outbox: { max_age: "1s" },
        },
        { dataDir: dir, now: () => clock },
      );
      await sink.write(batch(envelopes.slice(0, 1)), AbortSignal.timeout(5000));
      await until(() => subscriber.received.length === 1);
      expect(await sink.ready()).toBe(true);
      clock += 5000;
      expect(await sink.ready()).toBe(false);
      expect(sink.unreadyReason()).toMatch(/oldest undelivered event is 5 s old \(max_age 1 s\)/);
      await sink.close(AbortSignal.timeout(1000));
    } finally {
      await subscriber.close();
    }
  });
});
