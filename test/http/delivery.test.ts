import { createRouter, type UnifiedEvent } from "../../src/core";
import { DeliveryError } from "../../src/delivery";
import type { RunningServer, WebhookHandlerOptions } from "../../src/http";
import {
  captureLogger,
  expectNoSecrets,
  fixturesFor,
  recordingSink,
  secretsFor,
  serveTest,
  signedHeaders,
} from "./support";

/*
 * Acknowledgement: handler failures answer 500 (the platform redelivers) by default; `immediate` answers first
 * and reports failures to onError. Graceful shutdown finishes what is in flight. All against a real server.
 */
const logger = captureLogger();
const secrets = secretsFor("testchat");
const [follow, batch] = fixturesFor("testchat");
const telegramBody = fixturesFor("telegram").find((fixture) => fixture.name.startsWith("message"))!.body;
const blocks = [
  { id: "chat", platform: "testchat", workspace_id: "ws", secrets: secrets.valid },
  { id: "tg", platform: "telegram", workspace_id: "ws", secrets: secretsFor("telegram").valid },
];

const serve = (options: Partial<WebhookHandlerOptions> = {}) => serveTest({ blocks, logger, ...options });

function send(server: RunningServer, body = follow!.body, block = "chat") {
  const platform = block === "tg" ? "telegram" : "testchat";
  return fetch(`${server.url}/webhooks/${block}`, {
    method: "POST",
    headers: signedHeaders(platform, body, platform === "telegram" ? secretsFor("telegram").valid : secrets.valid),
    body,
  });
}

/** A promise with its resolver outside, to hold a handler until the test lets it go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("after-dispatch acknowledgement (default)", () => {
  it("answers 200 only after the sink and the router handlers ran, in that order", async () => {
    const order: string[] = [];
    const router = createRouter().on("messaging.*", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push("handler");
    });
    const { server } = await serve({ router, sink: () => void order.push("sink") });
    const response = await send(server);
    order.push(`response ${response.status}`);
    expect(order).toEqual(["sink", "handler", "response 200"]);
    expect(await response.json()).toEqual({ ok: true, events: 1, unhandled: 0 });
  });

  it("answers 500 handler_failed when a handler throws, without echoing the handler's message", async () => {
    const router = createRouter().on("messaging.follow", () => {
      throw new Error("database password=hunter2 rejected");
    });
    const { server } = await serve({ router });
    const response = await send(server);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({
      error: { code: "handler_failed", message: expect.stringContaining("redeliver") },
    });
    expect(body).not.toContain("hunter2");
    expect(logger.lines.some((entry) => entry.startsWith("error") && entry.includes("handler_failed"))).toBe(true);
  });

  it("answers 500 sink_failed when the sink throws", async () => {
    const { server } = await serve({
      sink: () => {
        throw new Error("disk full");
      },
    });
    const response = await send(server);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("sink_failed");
  });

  it("hands the sink events and unhandled platform events separately", async () => {
    const sink = recordingSink();
    const { server } = await serve({ sink });
    await send(server, batch!.body);
    expect(sink.events.map((event) => event.type)).toEqual([
      "messaging.follow",
      "messaging.unfollow",
      "messaging.unfollow",
    ]);
    expect(sink.unhandled.map((item) => item.kind)).toEqual(["sticker"]);
  });

  it("routes unhandled platform events to onUnhandled handlers too", async () => {
    const kinds: string[] = [];
    const router = createRouter().onUnhandled((item) => void kinds.push(item.kind));
    const { server } = await serve({ router });
    expect((await send(server, batch!.body)).status).toBe(200);
    expect(kinds).toEqual(["sticker"]);
  });
});

describe("immediate acknowledgement", () => {
  it("answers 200 before a slow handler finishes, and drain() waits for it", async () => {
    const hold = gate();
    const seen: UnifiedEvent[] = [];
    const router = createRouter().on("messaging.follow", async (event) => {
      await hold.opened;
      seen.push(event);
    });
    const { server, handler } = await serve({ router, ack: "immediate" });
    const response = await send(server);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, ack: "immediate" });
    expect(seen).toEqual([]);
    let drained = false;
    const draining = handler.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    hold.open();
    await draining;
    expect(seen.map((event) => event.type)).toEqual(["messaging.follow"]);
  });

  it("still refuses bad signatures and bad bodies before answering", async () => {
    const { server } = await serve({ ack: "immediate" });
    const unsigned = await fetch(`${server.url}/webhooks/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: follow!.body,
    });
    expect(unsigned.status).toBe(401);
    const bad = Buffer.from('{"object":"other"}');
    expect((await send(server, bad)).status).toBe(400);
  });

  it("reports a failing handler to onError (the platform already has its 200)", async () => {
    const failures: { error: unknown; blocks: readonly string[] }[] = [];
    const router = createRouter().on("messaging.follow", () => {
      throw new Error("boom");
    });
    const { server, handler } = await serve({
      router,
      ack: "immediate",
      onError: (error, info) => void failures.push({ error, blocks: info.block_ids }),
    });
    expect((await send(server)).status).toBe(200);
    await handler.drain();
    expect(failures).toHaveLength(1);
    // one error for the batch, naming each failed event; the router's onError handlers saw the handler's own error
    expect(failures[0]!.error).toBeInstanceOf(DeliveryError);
    expect(failures[0]!.error).toMatchObject({
      code: "handler_failed",
      outcome: { failed: 1, failures: [expect.objectContaining({ message: expect.stringContaining("boom") })] },
    });
    expect(failures[0]!.blocks).toEqual(["chat"]);
  });
});

describe("graceful shutdown", () => {
  it("finishes in-flight requests, refuses new connections, then resolves", async () => {
    const hold = gate();
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const router = createRouter().on("messaging.*", async () => {
      entered();
      await hold.opened;
    });
    const { server } = await serve({ router });
    const inFlight = send(server, telegramBody, "tg");
    await inside;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    await expect(send(server)).rejects.toThrow();
    hold.open();
    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    expect(closed).toBe(true);
  });

  it("waits for background work of immediate mode before resolving", async () => {
    const hold = gate();
    let done = false;
    const router = createRouter().on("messaging.follow", async () => {
      await hold.opened;
      done = true;
    });
    const { server } = await serve({ router, ack: "immediate" });
    expect((await send(server)).status).toBe(200);
    const closing = server.close();
    setTimeout(hold.open, 20);
    await closing;
    expect(done).toBe(true);
  });
});

describe("logs of this file", () => {
  it("never contain a secret or a signature", () => {
    expect(logger.lines.length).toBeGreaterThan(5);
    expectNoSecrets(logger.lines);
  });
});
