import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { telegramUpdate, TOKEN, waitFor } from "./support";

/*
 * The file sink and a SIGKILL between its append and the idempotency commit (issue 22): the platform got no 200 and
 * redelivers; the restarted serve finds the event at the file's tail and does not write it twice.
 * `CONVOTIC_TEST_KILL_AT=after-file-write` makes serve kill itself at exactly that point (test-only hook).
 */
jest.setTimeout(30_000);
const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-file-kill-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function serve(config: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", config, "--port", "0"], {
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  await waitFor(() => /listening on /.test(stderr), 15_000, `serve to listen: ${stderr}`);
  const url = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
  const send = async (id: number) => {
    try {
      const response = await fetch(`${url}/webhooks/tg`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN },
        body: telegramUpdate(id),
      });
      return response.status;
    } catch {
      return 0;
    }
  };
  return { send, exited, stop: () => (child.kill("SIGKILL"), exited) };
}

for (const format of ["envelope", "thread"] as const) {
  it(`${format}: an event written just before a SIGKILL is not written again on the redelivery`, async () => {
    const file = join(dir, "events.jsonl");
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        sinks: [{ kind: "file", path: file, format, fsync_interval_ms: 0 }],
        blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
      }),
    );
    const first = await serve(config, { CONVOTIC_TEST_KILL_AT: "after-file-write" });
    expect(await first.send(1)).toBe(0); // killed before answering: the platform will redeliver
    expect(await first.exited).toBe("SIGKILL");
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);

    const second = await serve(config, {});
    try {
      expect(await second.send(1)).toBe(200); // the redelivery
      expect(await second.send(2)).toBe(200);
      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines).toHaveLength(2);
      const keys = lines
        .map((line) => JSON.parse(line) as { id?: string; delivery_id?: string })
        .map((json) => json.id ?? json.delivery_id);
      expect(new Set(keys).size).toBe(2);
    } finally {
      await second.stop();
    }
  });
}
