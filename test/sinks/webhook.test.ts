import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import type { UnifiedEvent } from "../../src/core";
import { signatureHeader, WebhookSink, type WebhookSinkConfig } from "../../src/delivery/sinks";
import { secretKey } from "../../src/delivery/sinks/standard-webhooks";
import { backoffMs, retryAfterMs } from "../../src/delivery/sinks/retry";
import { parseDeadLetters } from "../../src/delivery/sinks/dead-letter";
import { deliveryId } from "../../src/formats/delivery-id";
import { fromCloudEvent } from "../../src/formats/cloudevents";
import { goldenEnvelopes } from "../formats/support";
import { newSecret, startReceiver, until } from "./receiver";

const envelopes = goldenEnvelopes().map(({ event }) => event);
const received = envelopes.filter((event) => event.type === "messaging.message.received").slice(0, 3);
const postback = envelopes.find((event) => event.type === "messaging.postback")!;
const batch = (events: UnifiedEvent[]) => ({ events, unhandled: [] });
const never = new AbortController().signal;
const soon = () => AbortSignal.timeout(10_000);

let dir: string;
const sinks: WebhookSink[] = [];
const receivers: { close(): Promise<void> }[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-webhook-"));
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close(AbortSignal.timeout(100))));
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  rmSync(dir, { recursive: true, force: true });
});

function sink(config: Partial<WebhookSinkConfig> & { url: string; secrets: string[] }): WebhookSink {
  const created = new WebhookSink(
    {
      kind: "webhook",
      name: "crm",
      dead_letter: join(dir, "dead.jsonl"),
      backoff_base_ms: 20,
      backoff_max_ms: 200,
      ...config,
    },
    { dataDir: dir },
  );
  sinks.push(created);
  return created;
}
async function receiver(...args: Parameters<typeof startReceiver>) {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

describe("Standard Webhooks signing", () => {
  it("matches the standardwebhooks package, including the spec's test vector", () => {
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const body = '{"test": 2432232314}';
    expect(signatureHeader("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, [secretKey(secret)])).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
    const other = newSecret();
    expect(signatureHeader("dlv_X", 1700000000, "{}", [secretKey(other)])).toBe(
      new Webhook(other).sign("dlv_X", new Date(1700000000 * 1000), "{}"),
    );
  });

  it("refuses secrets that are not whsec_ keys, without echoing them", () => {
    expect(() => sink({ url: "http://127.0.0.1:9/", secrets: ["plain-secret-value"] })).toThrow(
      /secrets\.0: a Standard Webhooks secret/,
    );
    expect(() => sink({ url: "http://127.0.0.1:9/", secrets: ["plain-secret-value"] })).not.toThrow(
      /plain-secret-value/,
    );
    expect(() => sink({ url: "http://127.0.0.1:9/", secrets: [] })).toThrow(/secrets/);
    expect(() => sink({ url: "ftp://x/", secrets: [newSecret()] })).toThrow(/url/);
  });
});

describe("webhook sink against a real subscriber", () => {
  it("delivers each event signed with every secret (rotation), with a webhook-id stable per event and subscriber", async () => {
    const [oldSecret, newSecretValue] = [newSecret(), newSecret()];
    const subscriber = await receiver([oldSecret, newSecretValue]);
    const forward = sink({ url: subscriber.url, secrets: [oldSecret, newSecretValue] });
    await forward.write(batch(received), soon());
    await until(() => forward.stats.delivered === 3);
    // the platform redelivers the first event: the outbox remembers it was delivered and does not queue it again
    await forward.write(batch(received.slice(0, 1)), soon());
    expect(forward.queued).toBe(0);
    expect(subscriber.received.map((item) => item.verifiedWith)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(subscriber.received.map((item) => item.id)).toEqual(received.map((event) => deliveryId(event.id, "crm")));
    expect(subscriber.received.map((item) => JSON.parse(item.body) as UnifiedEvent)).toEqual(received);
    expect(Math.abs(subscriber.received[0]!.timestamp - Date.now() / 1000)).toBeLessThan(5);
    expect(forward.stats).toMatchObject({ delivered: 3, retries: 0, dead_lettered: 0 });
    const other = sink({ url: subscriber.url, secrets: [oldSecret], name: "analytics" });
    await other.write(batch(received.slice(0, 1)), soon());
    await until(() => subscriber.received.length === 4);
    expect(subscriber.received[3]!.id).not.toBe(subscriber.received[0]!.id);
    expect(subscriber.received[3]!.verifiedWith).toEqual([0]);
  });

  it("retries a subscriber that fails, then recovers: same webhook-id, backoff, Retry-After honoured", async () => {
    const secret = newSecret();
    const replies = [
      { status: 503 },
      "drop" as const,
      { status: 429, headers: { "retry-after": "1" } },
      { status: 408 },
      { status: 200 },
    ];
    const subscriber = await receiver([secret], (n) => replies[n] ?? { status: 200 });
    const forward = sink({ url: subscriber.url, secrets: [secret], max_attempts: 6, backoff_max_ms: 1500 });
    await forward.write(batch(received.slice(0, 1)), soon());
    await until(() => subscriber.received.length === 5 && forward.stats.delivered === 1);
    expect(new Set(subscriber.received.map((item) => item.id)).size).toBe(1);
    expect(subscriber.received.every((item) => item.verifiedWith.length === 1)).toBe(true);
    expect(subscriber.received[3]!.at - subscriber.received[2]!.at).toBeGreaterThanOrEqual(990); // Retry-After: 1
    expect(forward.stats).toMatchObject({ delivered: 1, retries: 4, dead_lettered: 0 });
    expect(existsSync(join(dir, "dead.jsonl"))).toBe(false);
  });

  it("dead-letters a subscriber that never recovers after max_attempts, and keeps delivering the next events", async () => {
    const secret = newSecret();
    const subscriber = await receiver([secret], () => ({ status: 500 }));
    const forward = sink({ url: subscriber.url, secrets: [secret], max_attempts: 3 });
    await forward.write(batch(received.slice(0, 2)), soon());
    await until(() => forward.stats.dead_lettered === 2);
    expect(subscriber.received).toHaveLength(6);
    const { records, errors } = parseDeadLetters(readFileSync(join(dir, "dead.jsonl"), "utf8"));
    expect(errors).toEqual([]);
    expect(records.map((record) => [record.id, record.attempts, record.last_error])).toEqual(
      received.slice(0, 2).map((event) => [deliveryId(event.id, "crm"), 3, "HTTP 500; gave up after 3 attempt(s)"]),
    );
    expect(JSON.parse(records[0]!.body)).toEqual(received[0]);
    expect(readFileSync(join(dir, "dead.jsonl"), "utf8")).not.toContain(secret.slice(6));
  });

  it("gives up an attempt at timeout_ms and says so in the dead letter; a refused connection names its code", async () => {
    const secret = newSecret();
    const silent = createServer(() => undefined); // reads each request and never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    receivers.push({
      close: () => new Promise((resolve) => (silent.closeAllConnections(), silent.close(() => resolve()))),
    });
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hooks`;
    const slow = sink({ url: silentUrl, secrets: [secret], max_attempts: 2, timeout_ms: 100 });
    await slow.write(batch(received.slice(0, 1)), soon());
    await until(() => slow.stats.dead_lettered === 1);
    const refused = sink({ name: "gone", url: "http://127.0.0.1:9/hooks", secrets: [secret], max_attempts: 1 });
    await refused.write(batch(received.slice(0, 1)), soon());
    await until(() => refused.stats.dead_lettered === 1);
    const { records } = parseDeadLetters(readFileSync(join(dir, "dead.jsonl"), "utf8"));
    expect(records.map((record) => record.last_error)).toEqual([
      "timeout after 100 ms; gave up after 2 attempt(s)",
      "ECONNREFUSED; gave up after 1 attempt(s)",
    ]);
  });

  it("does not retry another 4xx", async () => {
    const secret = newSecret();
    const subscriber = await receiver([secret], () => ({ status: 400 }));
    const forward = sink({ url: subscriber.url, secrets: [secret] });
    await forward.write(batch(received.slice(0, 1)), soon());
    await until(() => forward.stats.dead_lettered === 1);
    expect(subscriber.received).toHaveLength(1);
    expect(parseDeadLetters(readFileSync(join(dir, "dead.jsonl"), "utf8")).records[0]!.last_error).toBe(
      "HTTP 400 (not retried)",
    );
  });

  it("applies filter and format: thread-style skips events without a counterpart, cloudevents round-trips", async () => {
    const secret = newSecret();
    const subscriber = await receiver([secret]);
    const thread = sink({ url: subscriber.url, secrets: [secret], format: "thread", name: "thread" });
    await thread.write(batch([received[0]!, postback]), soon());
    await until(() => thread.stats.delivered === 1);
    expect(thread.stats.unprojected).toBe(1);
    expect(JSON.parse(subscriber.received[0]!.body)).toMatchObject({
      event: "message.received",
      delivery_id: subscriber.received[0]!.id,
    });

    const cloud = sink({
      url: subscriber.url,
      secrets: [secret],
      format: "cloudevents",
      name: "cloud",
      filter: ["messaging.postback"],
    });
    await cloud.write(batch([received[0]!, postback]), soon());
    await until(() => cloud.stats.delivered === 1);
    expect(cloud.stats.filtered).toBe(1);
    expect(subscriber.received[1]!.contentType).toMatch(/^application\/cloudevents\+json/);
    expect(fromCloudEvent(JSON.parse(subscriber.received[1]!.body))).toEqual(postback);
    expect(() => sink({ url: subscriber.url, secrets: [secret], filter: ["nothing.*"] })).toThrow(
      /matches no event type/,
    );
  });

  it("applies back-pressure: a full queue makes write() wait (bounded by its signal) or reject", async () => {
    const secret = newSecret();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const subscriber = await receiver([secret]);
    subscriber.server.removeAllListeners("request");
    subscriber.server.on("request", (request, response) => {
      request.resume();
      void gate.then(() => response.writeHead(200).end());
    });
    const waiting = sink({
      url: subscriber.url,
      secrets: [secret],
      queue_size: 1,
      name: "waiting",
      outbox: { durable: false },
    });
    await waiting.write(batch(received.slice(0, 2)), soon()); // one in flight, one queued
    expect(await waiting.ready()).toBe(false);
    await expect(waiting.write(batch(received.slice(2, 3)), AbortSignal.timeout(50))).rejects.toThrow(/queue full/);
    const pending = waiting.write(batch(received.slice(2, 3)), soon());
    release();
    await pending;
    await until(() => waiting.stats.delivered === 3 || waiting.stats.delivered === 4);

    const rejecting = sink({
      url: "http://127.0.0.1:9/",
      secrets: [secret],
      queue_size: 1,
      when_full: "reject",
      name: "rejecting",
      outbox: { durable: false },
    });
    await expect(rejecting.write(batch(received.slice(0, 3)), never)).rejects.toThrow(/queue full/);
  });

  it("in memory (outbox.durable false), close() drains the queue, and dead-letters what is left when its deadline passes", async () => {
    const secret = newSecret();
    const subscriber = await receiver([secret], () => ({ status: 503 }));
    const forward = sink({
      url: subscriber.url,
      secrets: [secret],
      max_attempts: 100,
      backoff_base_ms: 50,
      outbox: { durable: false },
    });
    await forward.write(batch(received), soon());
    await forward.close(AbortSignal.timeout(200));
    const { records } = parseDeadLetters(readFileSync(join(dir, "dead.jsonl"), "utf8"));
    expect(records.map((record) => record.event_id)).toEqual(received.map((event) => event.id));
    await expect(forward.write(batch(received), never)).rejects.toThrow(/closed/);
  });
});

describe("retry policy", () => {
  it("backs off exponentially with jitter, capped, and lets a longer Retry-After win", () => {
    const policy = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffMs(1, policy, () => 0)).toBe(500);
    expect(backoffMs(1, policy, () => 1)).toBe(1000);
    expect(backoffMs(4, policy, () => 1)).toBe(8000);
    expect(backoffMs(20, policy, () => 1)).toBe(60_000);
    expect(backoffMs(1, policy, () => 0, 30_000)).toBe(30_000);
    expect(backoffMs(1, policy, () => 0, 10 * 60_000)).toBe(60_000);
    expect(retryAfterMs("7", 0)).toBe(7000);
    expect(retryAfterMs(new Date(5000).toUTCString(), 0)).toBe(5000);
    expect(retryAfterMs("soon", 0)).toBeUndefined();
  });
});
