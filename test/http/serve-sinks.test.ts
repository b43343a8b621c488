import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { run } from "../../src/cli/main";
import { newSecret, startReceiver, until } from "../sinks/receiver";

/*
 * `serve` with `sinks: [...]` (issue 14): a file sink (thread format, messaging events only) and a Standard Webhooks
 * subscriber on 127.0.0.1 get each event once; /readyz follows the sinks; duplicates and sink failures are counted
 * at /metrics and duplicates are logged at debug level only.
 */
const TOKEN = "serve-sinks-token_3Rw";
const dir = mkdtempSync(join(tmpdir(), "convotic-serve-sinks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(sinks: unknown[]): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      shutdown_grace: "2s",
      sinks,
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
    }),
  );
  return path;
}

function update(id: number): string {
  const user = { id: 7, is_bot: false, first_name: "S" };
  return JSON.stringify({
    update_id: id,
    message: { message_id: id, date: 1_790_000_000, chat: { id: 7, type: "private" }, from: user, text: `t${id}` },
  });
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

async function serve(configPath: string, args: string[] = [], env: Record<string, string> = {}) {
  const stderr = text();
  const stdout = text();
  const signals = new EventEmitter();
  const exit = run(["serve", "--config", configPath, "--port", "0", ...args], {
    stdin: new PassThrough(),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env,
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
      return { url, exit, signals, send, log: () => stderr.chunks.join(""), stdout: () => stdout.chunks.join("") };
    }
    if (stderr.chunks.join("").includes("convotic:") && !stderr.chunks.join("").includes("listening")) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`serve did not start: ${stderr.chunks.join("")}`);
}

describe("convotic serve with sinks", () => {
  it("acknowledges once the file and webhook sinks took the events, each with its filter and format; readiness follows the sinks", async () => {
    const secret = newSecret();
    const receiver = await startReceiver([secret]);
    const outDir = join(dir, "out");
    const file = join(outDir, "thread.jsonl");
    const config = writeConfig([
      { kind: "file", path: file, format: "thread", filter: ["messaging.*"], fsync_interval_ms: 0 },
      {
        kind: "webhook",
        name: "crm",
        url: receiver.url,
        secrets: ["${CRM_WHSEC}"],
        dead_letter: join(dir, "crm.dead.jsonl"),
        backoff_base_ms: 10,
      },
    ]);
    const served = await serve(config, [], { CRM_WHSEC: secret });
    try {
      // the file sink's folder does not exist yet: not ready, and a request is refused so the platform retries
      const notReady = await fetch(`${served.url}/readyz`);
      expect(notReady.status).toBe(503);
      // readiness names a sink by its name or kind: a file path is nobody else's business
      const readiness = await notReady.text();
      expect((JSON.parse(readiness) as { checks: unknown }).checks).toEqual({
        "sink file": "sink file cannot take events now",
        "sink crm": "ok",
      });
      expect(readiness).not.toContain(dir);
      const refused = await served.send(1);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: { code: "sink_unavailable" } });

      mkdirSync(outDir);
      expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
      expect((await served.send(1)).status).toBe(200);
      expect((await served.send(2)).status).toBe(200);
      expect(served.stdout()).toBe(""); // configured sinks replace the stdout default

      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { event: string; data: { thread_id: string } });
      expect(lines.map((line) => [line.event, line.data.thread_id])).toEqual([
        ["message.received", "telegram:7"],
        ["message.received", "telegram:7"],
      ]);
      await until(() => receiver.received.length === 2);
      expect(receiver.received.map((item) => item.verifiedWith)).toEqual([[0], [0]]);
      expect(receiver.received.map((item) => (JSON.parse(item.body) as { type: string }).type)).toEqual([
        "messaging.message.received",
        "messaging.message.received",
      ]);
      expect(new Set(receiver.received.map((item) => item.id)).size).toBe(2);
    } finally {
      served.signals.emit("SIGTERM");
      expect(await served.exit).toBe(0);
      await receiver.close();
    }
    expect(served.log()).not.toContain(secret);
  });

  it("counts duplicates and sink failures at /metrics and logs duplicates once at debug level only", async () => {
    const config = writeConfig([{ kind: "stdout" }, { kind: "file", path: join(dir, "missing", "x.jsonl") }]);
    const metricOf = async (url: string, name: string) =>
      (await (await fetch(`${url}/metrics`)).text())
        .split("\n")
        .filter((line) => line.startsWith(name))
        .join("\n");

    const debug = await serve(config, ["--log-level", "debug"]);
    expect((await debug.send(5)).status).toBe(503); // the file sink cannot open its file
    expect(await metricOf(debug.url, "convotic_sink_failures_total")).toMatch(
      /sink="file:[^"]+x\.jsonl",code="sink_unavailable"} 1/,
    );
    mkdirSync(join(dir, "missing"));
    expect((await debug.send(5)).status).toBe(200);
    expect((await debug.send(5)).status).toBe(200);
    expect((await debug.send(5)).status).toBe(200);
    expect(await metricOf(debug.url, "convotic_duplicates_total")).toBe(
      'convotic_duplicates_total{platform="telegram"} 2',
    );
    expect(await metricOf(debug.url, "convotic_events_total")).toBe(
      'convotic_events_total{platform="telegram",type="messaging.message.received"} 1',
    );
    expect(debug.stdout().trim().split("\n")).toHaveLength(1); // the stdout sink took it once, before the file sink could
    expect(debug.log().match(/duplicates acknowledged without running/g)).toHaveLength(2);
    debug.signals.emit("SIGTERM");
    expect(await debug.exit).toBe(0);

    const quiet = await serve(writeConfig([{ kind: "stdout" }]));
    expect((await quiet.send(6)).status).toBe(200);
    expect((await quiet.send(6)).status).toBe(200);
    expect(await metricOf(quiet.url, "convotic_duplicates_total")).toBe(
      'convotic_duplicates_total{platform="telegram"} 1',
    );
    expect(quiet.log()).not.toContain("duplicates acknowledged");
    quiet.signals.emit("SIGTERM");
    expect(await quiet.exit).toBe(0);
  });

  it("refuses a sinks entry it cannot build with exit 1 naming the file and the entry, never a secret", async () => {
    const secret = newSecret();
    const stderr = text();
    const bad = writeConfig([
      { kind: "webhook", name: "crm", url: "http://127.0.0.1:1/x", secrets: [secret.slice(0, 12)], dead_letter: "d" },
    ]);
    const code = await run(["serve", "--config", bad, "--port", "0"], {
      stdin: new PassThrough(),
      stdout: text().stream,
      stderr: stderr.stream,
      env: {},
    });
    expect(code).toBe(1);
    expect(stderr.chunks.join("")).toMatch(/sinks: 0\.secrets\.0: /);
    expect(stderr.chunks.join("")).not.toContain(secret.slice(6, 12));
    const pattern = writeConfig([{ kind: "stdout", filter: ["no.such.type"] }]);
    expect(
      await run(["serve", "--config", pattern, "--port", "0"], {
        stdin: new PassThrough(),
        stdout: text().stream,
        stderr: stderr.stream,
        env: {},
      }),
    ).toBe(1);
    expect(stderr.chunks.join("")).toMatch(/sinks\[0\]: .*no\.such\.type/);
    expect(existsSync(join(dir, "d"))).toBe(false);
  });
});
