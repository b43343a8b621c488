import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { run } from "../../src/cli/main";
import { createRouter } from "../../src/core";
import { until } from "../sinks/receiver";
import { captureLogger, secretsFor, serveTest, signedHeaders } from "./support";

/*
 * Every wait of `convotic serve` is bounded (issue 10): a stalled stdout reader costs 503s, not hung requests; a
 * dead one stops serve with exit 3; SIGTERM gives up after the grace period and names what it abandoned.
 */
const TOKEN = "serve-reliability-token_8Kq";
const dir = mkdtempSync(join(tmpdir(), "convotic-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(extra: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      ...extra,
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
    }),
  );
  return path;
}

function update(id: number): Buffer {
  const user = { id: 7, is_bot: false, first_name: "S" };
  return Buffer.from(
    JSON.stringify({
      update_id: id,
      message: { message_id: id, date: 1_790_000_000, chat: { id: 7, type: "private" }, from: user, text: `t${id}` },
    }),
  );
}

function text() {
  const chunks: string[] = [];
  return {
    chunks,
    stream: new Writable({
      write: (chunk: Buffer, _encoding, callback) => void (chunks.push(String(chunk)), callback()),
    }),
  };
}

async function serve(configPath: string, stdout: Writable) {
  const stderr = text();
  const signals = new EventEmitter();
  const exit = run(["serve", "--config", configPath, "--port", "0"], {
    stdin: new PassThrough(),
    stdout,
    stderr: stderr.stream,
    env: {},
    signals,
  });
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const url = /listening on (http:\/\/\S+)/.exec(stderr.chunks.join(""))?.[1];
    if (url !== undefined) {
      const send = (id: number) =>
        fetch(`${url}/webhooks/tg`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN },
          body: update(id),
        });
      return { url, exit, signals, send, log: () => stderr.chunks.join("") };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("serve did not start");
}

/** A stdout whose reader never reads. */
function stalledStdout() {
  return new Writable({ highWaterMark: 16, write: () => undefined });
}

describe("convotic serve: bounded waits", () => {
  it("answers 503 with a log line once a stalled stdout holds its buffer bound, instead of hanging", async () => {
    const served = await serve(config({ stdout_buffer_bytes: 1, shutdown_grace: "200ms" }), stalledStdout());
    expect((await served.send(1)).status).toBe(200); // accepted into the (empty) buffer
    const started = Date.now();
    const refused = await served.send(2);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await refused.json()).toMatchObject({ error: { code: "sink_backpressure" } });
    expect(served.log()).toMatch(/sink_backpressure/);
    served.signals.emit("SIGTERM");
    expect(await served.exit).toBe(3); // the accepted line never reached the stalled reader
  });

  it("deduplicates by default: the same update posted twice is written to stdout once", async () => {
    const stdout = text();
    const served = await serve(config(), stdout.stream);
    expect((await served.send(42)).status).toBe(200);
    expect((await served.send(42)).status).toBe(200);
    expect(stdout.chunks.join("").trim().split("\n")).toHaveLength(1);
    expect(served.log()).toContain("idempotency: memory store, at most 100000 event ids");
    served.signals.emit("SIGTERM");
    expect(await served.exit).toBe(0);
  });

  it("exits 3 with a log line when the stdout reader is gone (EPIPE)", async () => {
    const dead = new Writable({
      write: (_chunk, _encoding, callback) => callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" })),
    });
    const served = await serve(config({ shutdown_grace: "1s" }), dead);
    await served.send(1);
    expect(await served.exit).toBe(3);
    expect(served.log()).toMatch(/stdout failed.*EPIPE/);
  });

  it("exits 3 within the grace period after SIGTERM, naming the stdout bytes it abandoned", async () => {
    const served = await serve(config({ shutdown_grace: "300ms" }), stalledStdout());
    expect((await served.send(1)).status).toBe(200);
    const started = Date.now();
    served.signals.emit("SIGTERM");
    expect(await served.exit).toBe(3);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(served.log()).toMatch(/grace period of 300 ms ended; abandoned \d+ bytes of stdout/);
  });
});

describe("graceful stop of the library server", () => {
  it("gives up on a hung background task of ack immediate at the grace period and reports it", async () => {
    const secrets = secretsFor("telegram").valid;
    const router = createRouter().on("messaging.*", () => new Promise<void>(() => undefined));
    // a deadline past the grace period, but short: the abandoned task settles (and logs) before the test ends
    const logger = captureLogger();
    const { server, url, handler } = await serveTest({
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets }],
      router,
      ack: "immediate",
      deadlines: 1000,
      logger,
    });
    const body = update(9);
    expect(
      (await fetch(url("/webhooks/tg"), { method: "POST", headers: signedHeaders("telegram", body, secrets), body }))
        .status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    expect(await server.close({ graceMs: 200 })).toEqual({ requests: 0, background: 1 });
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => handler.delivery.stats().timed_out === 1);
  });

  it("cuts a request whose handler hangs past the grace period and reports it", async () => {
    const secrets = secretsFor("telegram").valid;
    const router = createRouter().on("messaging.*", () => new Promise<void>(() => undefined));
    const logger = captureLogger();
    const blocks = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets }];
    const { server, url, handler } = await serveTest({ blocks, router, deadlines: 1000, logger });
    const body = update(10);
    const pending = fetch(url("/webhooks/tg"), {
      method: "POST",
      headers: signedHeaders("telegram", body, secrets),
      body,
    }).catch(() => "cut");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await server.close({ graceMs: 200 })).toEqual({ requests: 1, background: 0 });
    expect(await pending).toBe("cut");
    await until(
      () => handler.delivery.stats().timed_out === 1 && logger.lines.some((line) => line.includes("deadline_exceeded")),
    );
  });
});
