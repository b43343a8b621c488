import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer, createRouter, type DriftRecord } from "../../src/core";
import { createWebhookHandler, type LogFields, type Logger } from "../../src/http";
import { createMetrics, driftReporter } from "../../src/observe";
import { runCli } from "../support/run-cli";
import { startBuiltServe, until, type BuiltServe } from "../support/built-serve";
import { FIXTURES_DIR } from "../support/fixtures";
import { telegramText } from "../support/telegram";

/*
 * Drift through the edge (docs/drift.md): the handler's answer and log line count it, `onDrift` and the router's
 * `onDrift` hear it beside the delivery (never failing it), serve counts it per path (bounded) and logs each path
 * once, and `convotic drift` summarises stored bodies.
 */

const TOKEN = "drift_token_Q8v2";
const update = telegramText;
const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN };
const blocks = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }];

function recordingLogger() {
  const lines: { level: string; message: string; fields: LogFields | undefined }[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => lines.push({ level, message, fields });
  const logger: Logger = { info: at("info"), warn: at("warn"), error: at("error") };
  return { lines, logger };
}

describe("the webhook handler", () => {
  it("counts drift in its answer and log line, tells onDrift and the router, and delivers the events", async () => {
    const { lines, logger } = recordingLogger();
    const heard: DriftRecord[][] = [];
    const routed: DriftRecord[] = [];
    const received: string[] = [];
    const router = createRouter()
      .on("messaging.message.received", (event) => void received.push(event.id))
      .onDrift((record) => void routed.push(record));
    const handler = createWebhookHandler({
      normalizer: createNormalizer({ adapters }),
      blocks,
      router,
      logger,
      onDrift: (drift) => void heard.push([...drift]),
    });
    const post = (body: string) =>
      handler({ method: "POST", url: "/webhooks/tg", headers, rawBody: Buffer.from(body) });

    const plain = await post(update(1));
    expect(JSON.parse(plain.body)).toEqual({ ok: true, events: 1, unhandled: 0 });
    const drifted = await post(update(2, { brand_new_field: { a: 1 }, chat: { id: 1, type: "secret_chat" } }));
    expect(JSON.parse(drifted.body)).toEqual({ ok: true, events: 1, unhandled: 0, drift: 2 });
    expect(received).toHaveLength(2);
    expect(heard).toHaveLength(1);
    expect(heard[0]!.map((record) => `${record.change} ${record.path}`)).toEqual([
      "value message.chat.type",
      "field message.brand_new_field",
    ]);
    await until(() => (routed.length === 2 ? true : undefined), "the router's onDrift");
    expect(routed[0]).toMatchObject({ platform: "telegram", block_id: "tg", workspace_id: "ws" });
    expect(lines.filter((line) => line.message === "webhook").map((line) => line.fields?.["drift"])).toEqual([
      undefined,
      2,
    ]);
  });

  it("answers 200 and logs when a drift listener throws", async () => {
    const { lines, logger } = recordingLogger();
    const handler = createWebhookHandler({
      normalizer: createNormalizer({ adapters }),
      blocks,
      logger,
      router: createRouter().onDrift(() => Promise.reject(new Error("router listener broke"))),
      onDrift: () => {
        throw new Error("listener broke");
      },
    });
    const answer = await handler({
      method: "POST",
      url: "/webhooks/tg",
      headers,
      rawBody: Buffer.from(update(3, { surprise: true })),
    });
    expect(answer.status).toBe(200);
    await until(
      () => (lines.filter((line) => line.message === "a drift listener failed").length === 2 ? true : undefined),
      "two failure lines",
    );
  });
});

describe("serve's drift reporter", () => {
  const record = (path: string, count = 1): DriftRecord => ({
    platform: "telegram",
    workspace_id: "ws",
    block_id: "tg",
    path,
    change: "field",
    value_kind: "string",
    example: '"x"',
    count,
  });

  it("counts every occurrence, labels at most maxDriftPaths paths (then other), logs each path once", async () => {
    const metrics = createMetrics({ processMetrics: false, maxDriftPaths: 2 });
    const { lines, logger } = recordingLogger();
    const report = driftReporter({ logger, metrics, maxLogged: 3 });
    report([record("a", 2), record("b")], { platform: "telegram" });
    report([record("a"), record("c"), record("d")], { platform: "telegram", requestId: "r1" });
    const text = await metrics.text();
    expect(text).toContain('convotic_drift_total{platform="telegram",path="a"} 3');
    expect(text).toContain('convotic_drift_total{platform="telegram",path="b"} 1');
    expect(text).toContain('convotic_drift_total{platform="telegram",path="other"} 2');
    expect(text).not.toContain('path="c"');
    const logged = lines.filter((line) => line.message === "drift").map((line) => line.fields?.["path"]);
    expect(logged).toEqual(["a", "b", "c"]);
    expect(lines.filter((line) => line.message.startsWith("drift: more new paths"))).toHaveLength(1);
    expect(lines.find((line) => line.fields?.["path"] === "c")?.fields).toMatchObject({ request_id: "r1" });
  });
});

describe("convotic serve (built, in its own process)", () => {
  const dir = mkdtempSync(join(tmpdir(), "convotic-drift-"));
  const config = join(dir, "config.json");
  writeFileSync(config, JSON.stringify({ blocks }));
  let served: BuiltServe;
  beforeAll(async () => {
    served = await startBuiltServe(["--config", config, "--port", "0", "--log-format", "json"]);
  }, 15_000);
  afterAll(async () => {
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs a new path once however often it comes, and counts each in /metrics", async () => {
    for (let id = 10; id < 13; id++) {
      const answer = await fetch(`${served.url}/webhooks/tg`, {
        method: "POST",
        headers,
        body: update(id, { wrapper_field: { inner: id } }),
      });
      expect(await answer.json()).toEqual({ ok: true, events: 1, unhandled: 0, drift: 1 });
    }
    await until(() => (served.stderr().includes('"msg":"drift"') ? true : undefined), "a drift line");
    const driftLines = served
      .stderr()
      .split("\n")
      .filter((line) => line.includes('"msg":"drift"'));
    expect(driftLines).toHaveLength(1);
    expect(JSON.parse(driftLines[0]!)).toMatchObject({
      level: "warn",
      platform: "telegram",
      path: "message.wrapper_field",
      change: "field",
      value_kind: "object",
      example: '{"inner"}',
    });
    const metrics = await (await fetch(`${served.url}/metrics`)).text();
    expect(metrics).toContain('convotic_drift_total{platform="telegram",path="message.wrapper_field"} 3');
  });
});

describe("convotic drift", () => {
  it("summarises stored bodies: each new path with its count, bodies and an example; exit 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convotic-drift-cli-"));
    try {
      const telegram = join(dir, "telegram");
      mkdirSync(telegram);
      writeFileSync(join(telegram, "a.json"), update(1, { wrapper_field: 1 }));
      writeFileSync(join(telegram, "b.json"), update(2, { wrapper_field: 2, chat: { id: 1, type: "secret_chat" } }));
      writeFileSync(join(telegram, "c.json"), update(3));
      writeFileSync(join(telegram, "d.json"), "not json");
      const out = await runCli(["drift", dir]);
      expect(out.code).toBe(0);
      expect(out.stdout.trim().split("\n")).toEqual([
        `telegram message.wrapper_field: new field, 2 time(s) in 2 body(ies), e.g. number 1 (${join(telegram, "a.json")})`,
        `telegram message.chat.type: new value, 1 time(s) in 1 body(ies), e.g. string "secret_chat" (${join(telegram, "b.json")})`,
      ]);
      expect(out.stderr).toMatch(/failed .*d\.json: .*JSON/);
      expect(out.stderr).toContain("files 4, with drift 2, new paths 2, not read 1");
      const json = await runCli(["drift", dir, "--json"]);
      expect(JSON.parse(json.stdout)).toEqual([
        expect.objectContaining({ platform: "telegram", path: "message.wrapper_field", count: 2, files: 2 }),
        expect.objectContaining({ path: "message.chat.type", change: "value", example: '"secret_chat"' }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("replay's review names a body's drift and keeps its golden as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convotic-drift-replay-"));
    try {
      mkdirSync(join(dir, "viber"));
      for (const name of ["unknown-event.json", "unknown-event.golden.json"])
        writeFileSync(join(dir, "viber", name), readFileSync(join(FIXTURES_DIR, "viber", name)));
      const out = await runCli(["replay", dir]);
      expect(out.code).toBe(0);
      expect(out.stdout).toBe("");
      expect(out.stderr).toMatch(
        /^drift \S*viber\/unknown-event\.json: event \(new value, string "client_status"\)\nfiles 1, equal 1, changed 0, new 0, failed 0\n$/,
      );
      expect(readFileSync(join(dir, "viber", "unknown-event.golden.json"), "utf8")).not.toContain("drift");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds nothing new in the bundled fixtures but their undocumented kinds", async () => {
    const out = await runCli(["drift", FIXTURES_DIR]);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split("\n")).toHaveLength(10);
    expect(out.stderr).toMatch(/^files \d+, with drift 9, new paths 10\n$/);
    // the XML and form fixtures are read too: WeChat's Mini Program card is the one push its catalogue does not name
    expect(out.stdout).toContain('wechat MsgType: new value, 1 time(s) in 1 body(ies), e.g. string "miniprogrampage"');
    expect(out.stdout).not.toContain("twilio");
    expect(readFileSync(join(FIXTURES_DIR, "viber", "unknown-event.json"), "utf8")).toContain("client_status");
  });
});
