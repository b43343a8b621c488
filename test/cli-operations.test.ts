import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { adapters } from "../src/adapters";
import { run } from "../src/cli/main";
import { createNormalizer, createRouter } from "../src/core";
import { BlockSet, createWebhookHandler, loadBlocks, startServer } from "../src/http";
import { createLogger, createMetrics, observeHandler } from "../src/observe";

/*
 * Operating `convotic serve`: /healthz, /readyz and /metrics on a real server started by the command, scraped
 * after real webhooks; and the JSON logs, one object per line with the request's fields and never a secret.
 */
const TOKEN = "ops-secret-token_4Kd";
const dir = mkdtempSync(join(tmpdir(), "convotic-ops-"));
const config = join(dir, "config.json");
writeFileSync(
  config,
  JSON.stringify({
    blocks: [{ id: "tg-ops", platform: "telegram", workspace_id: "ws_ops", secrets: { secret_token: TOKEN } }],
  }),
);
const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "telegram", `${name}.json`));

function capture() {
  let text = "";
  return {
    stream: new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk.toString()), done()) }),
    text: () => text,
  };
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function post(url: string, body: Buffer, token = TOKEN, requestId?: string) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": token,
      ...(requestId === undefined ? {} : { "x-request-id": requestId }),
    },
    body,
  });
}

/** The value of one sample of the Prometheus text format, by its exact name and labels. */
function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of metrics.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? "").split(",").filter((part) => part !== "");
    if (have.length === wanted.length && wanted.every((label) => have.includes(label))) return Number(match[3]);
  }
  return undefined;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("convotic serve --log-format json: health, readiness, metrics and logs", () => {
  const stdout = capture();
  const stderr = capture();
  const signals = new EventEmitter();
  let exit: Promise<number>;
  let url: string;

  beforeAll(async () => {
    exit = run(["serve", "--config", config, "--port", "0", "--log-format", "json"], {
      stdin: new PassThrough(),
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
      signals,
    });
    url = await until(() => /listening on (http:\/\/[\d.:]+)/.exec(stderr.text())?.[1], "listening");
  });

  afterAll(async () => {
    signals.emit("SIGTERM");
    await exit;
  });

  it("answers /healthz and /readyz outside the webhook base path", async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", blocks: 1, checks: { "sink stdout": "ok" } });
    expect((await fetch(`${url}/healthz`, { method: "POST" })).status).toBe(405);
  });

  it("counts requests, events, unhandled kinds and signature failures, with latency histograms, at /metrics", async () => {
    expect((await post(`${url}/webhooks/tg-ops`, fixture("message-start-deep-link"))).status).toBe(200);
    expect((await post(`${url}/webhooks/tg-ops`, fixture("poll"))).status).toBe(200);
    expect((await post(`${url}/webhooks/tg-ops`, fixture("poll"), "not-the-token")).status).toBe(401);
    expect((await post(`${url}/webhooks/no-such-block-${"x".repeat(20)}`, fixture("poll"))).status).toBe(404);

    const scraped = await fetch(`${url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    // the public listener serves /metrics here, so no block id appears in it (the ops listener names them)
    expect(
      sample(text, "convotic_webhook_requests_total", { platform: "telegram", block: "(hidden)", status: "200" }),
    ).toBe(2);
    expect(
      sample(text, "convotic_webhook_requests_total", { platform: "telegram", block: "(hidden)", status: "401" }),
    ).toBe(1);
    expect(text).not.toContain("tg-ops");
    // a client's made-up path never becomes a label value
    expect(
      sample(text, "convotic_webhook_requests_total", { platform: "(none)", block: "(none)", status: "404" }),
    ).toBe(1);
    expect(text).not.toContain("no-such-block");
    expect(sample(text, "convotic_signature_failures_total", { platform: "telegram", block: "(hidden)" })).toBe(1);
    expect(sample(text, "convotic_events_total", { platform: "telegram", type: "messaging.message.received" })).toBe(1);
    expect(
      sample(text, "convotic_events_total", { platform: "telegram", type: "messaging.conversation.created" }),
    ).toBe(1);
    expect(sample(text, "convotic_unhandled_total", { platform: "telegram", kind: "poll" })).toBe(1);
    expect(
      sample(text, "convotic_webhook_request_duration_seconds_count", { platform: "telegram", status: "200" }),
    ).toBe(2);
    expect(
      sample(text, "convotic_webhook_request_duration_seconds_bucket", {
        platform: "telegram",
        status: "200",
        le: "+Inf",
      }),
    ).toBe(2);
    expect(text).toContain("# TYPE convotic_duplicates_total counter");
    expect(text).toContain("# TYPE convotic_handler_failures_total counter");
    expect(text).toContain("convotic_process_cpu_seconds_total");
  });

  it("logs one JSON object per line, a request's with its id, block, platform, status, duration and counts, never a secret", async () => {
    const answer = await post(`${url}/webhooks/tg-ops`, fixture("message-start-deep-link"), TOKEN, "req-ops-42");
    expect(answer.headers.get("x-request-id")).toBe("req-ops-42");
    const records = await until(() => {
      const parsed = stderr
        .text()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return parsed.some((record) => record["request_id"] === "req-ops-42") ? parsed : undefined;
    }, "the request's record");
    expect(
      records.every(
        (record) =>
          typeof record["level"] === "string" &&
          typeof record["time"] === "string" &&
          typeof record["msg"] === "string",
      ),
    ).toBe(true);
    const record = records.find((candidate) => candidate["request_id"] === "req-ops-42")!;
    expect(record).toMatchObject({
      level: "info",
      platform: "telegram",
      block: "tg-ops",
      status: 200,
      events: 2,
      unhandled: 0,
    });
    expect(typeof record["duration_ms"]).toBe("number");
    // a generated id when the caller gives none (or one that is not a plain token)
    const generated = await post(`${url}/webhooks/tg-ops`, fixture("poll"), TOKEN, "bad id\twith tab");
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(stderr.text()).not.toContain(TOKEN);
    expect(stderr.text()).not.toContain("not-the-token");
  });
});

describe("observeHandler", () => {
  const normalizer = createNormalizer({ adapters });
  const blocks: BlockSet = loadBlocks(
    [{ id: "tg-obs", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
    { normalizer },
  );

  it("counts handler failures by code and answers /readyz 503 for a failing check, a slow one, and while draining", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const router = createRouter().on("messaging.message.received", () => {
      throw new Error("the application's handler failed");
    });
    const logs = capture();
    const webhooks = createWebhookHandler({
      normalizer,
      blocks,
      router,
      logger: createLogger({ format: "text", stream: logs.stream }),
    });
    let storeUp = true;
    const handler = observeHandler(webhooks, {
      blocks,
      metrics,
      checkTimeoutMs: 100,
      readiness: [
        {
          name: "store",
          check: () => {
            if (!storeUp) throw new Error("connection refused");
          },
        },
        { name: "sink", check: () => new Promise<void>((resolve) => setTimeout(resolve, storeUp ? 0 : 1000)) },
      ],
    });
    const server = await startServer(handler);
    try {
      expect((await post(`${server.url}/webhooks/tg-obs`, fixture("message-start-deep-link"))).status).toBe(500);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const failures = text.split("\n").filter((line) => line.startsWith("convotic_handler_failures_total{"));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatch(/platform="telegram"/);
      expect(failures[0]).toMatch(/ 1$/);
      expect(logs.text()).toMatch(/ error webhook .*request_id=[0-9a-f-]{36}/);
      // the delivery's own record of the failure carries the same request id (it travels with the request)
      const ids = [
        / error webhook .*request_id=([0-9a-f-]{36})/,
        / warn event failed; .*request_id=([0-9a-f-]{36})/,
      ].map((pattern) => pattern.exec(logs.text())?.[1]);
      expect(ids[1]).toBeDefined();
      expect(ids[1]).toBe(ids[0]);

      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      storeUp = false;
      const down = await fetch(`${server.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: "not ready",
        blocks: 1,
        checks: { store: "connection refused", sink: "no answer within 100 ms" },
      });
      storeUp = true;
      handler.setDraining();
      expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({ status: "draining" });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
