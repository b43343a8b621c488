import { createHmac } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { run } from "../../src/cli/main";
import { FIXTURES_DIR } from "../support/fixtures";

/*
 * `serve` with `"status_order": true`: WhatsApp status webhooks (fixtures, signed here) posted read, then sent, then
 * delivered: the read and the skipped delivered reach stdout, the late sent is answered 200 and counted at /metrics.
 */
const APP_SECRET = "serve-status-order-secret";
const dir = mkdtempSync(join(tmpdir(), "convotic-status-order-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sink() {
  const chunks: string[] = [];
  return {
    text: () => chunks.join(""),
    stream: new Writable({
      write: (chunk: Buffer, _encoding, callback) => void (chunks.push(String(chunk)), callback()),
    }),
  };
}

it("delivers a read, holds back the sent that arrives after it, and counts it", async () => {
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      status_order: true,
      shutdown_grace: "2s",
      blocks: [
        {
          id: "wa",
          platform: "whatsapp",
          workspace_id: "ws",
          secrets: { app_secrets: [APP_SECRET], verify_token: "v" },
        },
      ],
    }),
  );
  const stdout = sink();
  const stderr = sink();
  const signals = new EventEmitter();
  const exit = run(["serve", "--config", config, "--port", "0"], {
    stdin: new PassThrough(),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: {},
    signals,
  });
  let url: string | undefined;
  for (let attempt = 0; attempt < 500 && url === undefined; attempt += 1) {
    url = /listening on (http:\/\/\S+)/.exec(stderr.text())?.[1];
    if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(url).toBeDefined();
  const post = (name: string) => {
    const body = readFileSync(join(FIXTURES_DIR, "whatsapp", `${name}.json`));
    const signature = `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;
    return fetch(`${url}/webhooks/wa`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": signature },
      body,
    });
  };
  try {
    for (const name of ["status-read", "status-sent", "status-delivered"]) expect((await post(name)).status).toBe(200);
    const types = stdout
      .text()
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(["messaging.message.read", "messaging.message.delivered"]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('convotic_superseded_total{platform="whatsapp",type="messaging.message.sent"} 1');
  } finally {
    signals.emit("SIGTERM");
    expect(await exit).toBe(0);
  }
});
