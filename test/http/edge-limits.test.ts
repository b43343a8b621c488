import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import express from "express";
import { convoticExpress, startServer } from "../../src/http";
import { loadConfig } from "../../src/cli/server-config";
import { captureLogger, normalizer, post, secretsFor, serveTest, signedHeaders, testHandler } from "./support";

/*
 * Issue 10, the edge: bounded in-flight body bytes (503 + Retry-After past the budget), explicit node server
 * timeouts, and exactly one log line for a client that disconnects mid-body, on node:http and through Express.
 * Real servers on 127.0.0.1, raw sockets for the unfinished uploads.
 */
const secrets = secretsFor("testchat").valid;
const blocks = [{ id: "chat", platform: "testchat", workspace_id: "ws", secrets }];

function signedBody(size: number): Buffer {
  const base = JSON.stringify({ object: "testchat", entry: [], pad: "" });
  return Buffer.from(JSON.stringify({ object: "testchat", entry: [], pad: "x".repeat(size - base.length) }));
}

/** Opens a raw connection, sends headers announcing `length` bytes and `sent` of them, and keeps it open. */
async function unfinishedUpload(port: number, path: string, length: number, sent: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.on("error", () => undefined);
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`,
  );
  socket.write(Buffer.alloc(sent, 0x20));
  return socket;
}

async function until(probe: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe("in-flight body budget", () => {
  it("answers 503 with Retry-After past the budget, and accepts again once the bytes are released", async () => {
    const logger = captureLogger();
    // the global budget alone: one address may hold all of it (fairness.test.ts covers the shares)
    const env = await serveTest({
      blocks,
      logger,
      bodyLimit: 40_000,
      maxInFlightBytes: 50_000,
      fairness: { perAddressShare: 1, smallBodyReserve: 0 },
    });
    expect(env.handler.bodyBudget.limit).toBe(50_000);
    const held = await unfinishedUpload(env.server.port, "/webhooks/chat", 40_000, 35_000);
    await until(() => env.handler.bodyBudget.inFlight >= 35_000, "the unfinished upload to be held");

    const body = signedBody(20_000);
    const refused = await post(env.url("/webhooks/chat"), body, signedHeaders("testchat", body, secrets));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.json()).toEqual({ error: { code: "server_busy", message: expect.stringContaining("retry later") } });

    held.destroy();
    await until(() => env.handler.bodyBudget.inFlight === 0, "the held bytes to be released");
    const accepted = await post(env.url("/webhooks/chat"), body, signedHeaders("testchat", body, secrets));
    expect(accepted.status).toBe(200);
    expect(env.handler.bodyBudget.inFlight).toBe(0);
    expect(logger.lines.filter((line) => line.includes("server_busy"))).toHaveLength(1);
  });

  it("100 unfinished uploads hold at most the budget", async () => {
    const env = await serveTest({ blocks, logger: captureLogger(), bodyLimit: 16_384, maxInFlightBytes: 64 * 1024 });
    const sockets = await Promise.all(
      Array.from({ length: 100 }, () => unfinishedUpload(env.server.port, "/webhooks/chat", 16_384, 8_000)),
    );
    await settle();
    expect(env.handler.bodyBudget.inFlight).toBeLessThanOrEqual(64 * 1024);
    for (const socket of sockets) socket.destroy();
    await until(() => env.handler.bodyBudget.inFlight === 0, "every upload to be released");
  }, 30_000);

  it("defaults to 32 MiB or eight body limits", () => {
    expect(testHandler({ blocks }).bodyBudget.limit).toBe(32 * 1024 * 1024);
    expect(testHandler({ blocks, bodyLimit: 8 * 1024 * 1024 }).bodyBudget.limit).toBe(64 * 1024 * 1024);
  });
});

describe("a client that disconnects mid-body", () => {
  async function expectOneLine(port: number, path: string, logger: ReturnType<typeof captureLogger>) {
    const before = logger.lines.length;
    const socket = await unfinishedUpload(port, path, 1_000, 100);
    await settle();
    socket.destroy();
    await until(() => logger.lines.length > before, "the log line");
    await settle();
    const lines = logger.lines.slice(before);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warn webhook /);
    expect(lines[0]).toContain('"code":"client_closed_request"');
    expect(lines[0]).toContain("100 bytes received");
  }

  it("is one log line on node:http", async () => {
    const logger = captureLogger();
    const env = await serveTest({ blocks, logger });
    await expectOneLine(env.server.port, "/webhooks/chat", logger);
    expect(env.handler.bodyBudget.inFlight).toBe(0);
  });

  it("is one log line through the Express shim, and no error stack", async () => {
    const logger = captureLogger();
    const handler = testHandler({ blocks, logger });
    const app = express();
    app.use(convoticExpress(handler));
    const server = await new Promise<Server>((resolve) => {
      const started = app.listen(0, "127.0.0.1", () => resolve(started));
    });
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await expectOneLine((server.address() as AddressInfo).port, "/webhooks/chat", logger);
      expect(errors).not.toHaveBeenCalled();
      expect(handler.bodyBudget.inFlight).toBe(0);
    } finally {
      errors.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("node server timeouts", () => {
  it("are explicit, configurable and enforced: stalled headers are cut", async () => {
    const handler = testHandler({ blocks, logger: captureLogger() });
    const defaults = await startServer(handler);
    expect([defaults.server.headersTimeout, defaults.server.requestTimeout, defaults.server.keepAliveTimeout]).toEqual([
      10_000, 30_000, 5_000,
    ]);
    await defaults.close();

    const strict = await startServer(handler, {
      timeouts: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200 },
    });
    try {
      expect([strict.server.headersTimeout, strict.server.requestTimeout, strict.server.keepAliveTimeout]).toEqual([
        300, 600, 200,
      ]);
      const socket = connect(strict.port, "127.0.0.1");
      socket.on("error", () => undefined);
      let answer = "";
      socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write("POST /webhooks/chat HTTP/1.1\r\nhost: 127.0.0.1\r\n");
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await strict.close();
    }
  });

  it("refuses a headers timeout longer than the request timeout", async () => {
    const handler = testHandler({ blocks });
    await expect(
      startServer(handler, { timeouts: { headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 } }),
    ).rejects.toThrow("must not exceed");
    expect(() => loadConfig({ blocks, timeouts: { headers_ms: 5_000, request_ms: 1_000 } }, { normalizer })).toThrow(
      "headers_ms must not exceed request_ms",
    );
    expect(
      loadConfig({ blocks, max_in_flight_bytes: 1_000_000, timeouts: { request_ms: 20_000 } }, { normalizer }),
    ).toMatchObject({
      max_in_flight_bytes: 1_000_000,
      timeouts: { request_ms: 20_000 },
    });
  });
});
