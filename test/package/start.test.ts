import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, cloneProject, root } from "./support";

/*
 * The README's first command, `npm start`, in a fresh clone (no dist/: prestart builds it): with `-s` stdout carries
 * the events only, as JSON lines (`npm start -s | jq` works; the repository no longer sets npm's JSON mode, so
 * `npm ci` and `npm pack` print their usual text), SIGTERM to the `npm start` process stops the server instead of
 * leaving it re-parented and holding the port, and a second start does not rebuild a current dist/.
 */
let clone: string;
let work: string;
let npmStart: ChildProcess;
let stdout = "";
let stderr = "";

beforeAll(() => {
  ({ work, clone } = cloneProject());
  const env: NodeJS.ProcessEnv = { ...cleanEnv, PORT: "0" };
  delete env["TELEGRAM_SECRET_TOKEN"];
  npmStart = spawn("npm", ["start", "-s"], { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"] });
  npmStart.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  npmStart.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
});

afterAll(() => {
  if (npmStart.exitCode === null && npmStart.signalCode === null) npmStart.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

async function until<T>(probe: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    if (npmStart.exitCode !== null)
      throw new Error(`npm start exited with ${npmStart.exitCode} before ${what}:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}:\n${stderr}`);
}

it("builds, serves the example config, keeps stdout for events, and stops on SIGTERM to npm", async () => {
  const url = await until(() => /listening on (http:\/\/\S+)/.exec(stderr)?.[1], "the server to listen", 240_000);
  const body = readFileSync(join(root, "fixtures", "telegram", "message-start-deep-link.json"));
  const response = await fetch(`${url}/webhooks/tg-demo`, {
    method: "POST",
    // the example config's embedded default, used when TELEGRAM_SECRET_TOKEN is not set
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "dev-secret-token" },
    body,
  });
  expect(response.status).toBe(200);
  await until(() => (stdout.split("\n").length > 2 ? true : undefined), "two event lines", 10_000);

  const exited = new Promise<number | null>((resolve) => npmStart.once("exit", (code) => resolve(code)));
  npmStart.kill("SIGTERM");
  expect(await exited).toBe(0);
  await expect(fetch(url)).rejects.toThrow();

  const lines = stdout.split("\n").filter((text) => text !== "");
  expect(lines.map((text) => (JSON.parse(text) as { type: string }).type)).toEqual([
    "messaging.message.received",
    "messaging.conversation.created",
  ]);
  // -s keeps npm's script banners off both streams
  expect(stdout + stderr).not.toMatch(/> convotic@[\d.]+ start/);
}, 300_000);

it("starts again without rebuilding a current dist/, and a real `npm start -s | head -n 1` gets an event", async () => {
  const built = join(clone, "dist", "cli", "main.js");
  const before = statSync(built).mtimeMs;
  const env: NodeJS.ProcessEnv = { ...cleanEnv, PORT: "0" };
  // the shell pipeline as a user types it; the trigger runs once the server says where it listens
  const script =
    "npm start -s 2>server.log | head -n 1 & " +
    "for i in $(seq 1 200); do url=$(grep -o 'listening on http://[0-9.:]*' server.log 2>/dev/null | cut -d' ' -f3); " +
    '[ -n "$url" ] && break; sleep 0.1; done; ' +
    'node dist/cli/main.js trigger messaging.follow --platform line --to "$url" >/dev/null 2>&1; ' +
    // head has gone: the next event's write fails and serve stops (exit 3, a dead stdout), ending the pipeline
    'sleep 0.5; node dist/cli/main.js trigger messaging.unfollow --platform line --to "$url" >/dev/null 2>&1; wait';
  const started = Date.now();
  const result = spawnSync("sh", ["-c", script], { cwd: clone, env, encoding: "utf8", timeout: 60_000 });
  const elapsed = Date.now() - started;
  expect(
    result.stdout
      .trim()
      .split("\n")
      .map((text) => (JSON.parse(text) as { type: string }).type),
  ).toEqual(["messaging.follow"]);
  expect(statSync(built).mtimeMs).toBe(before);
  // building takes tens of seconds here; a current dist/ starts in a few
  expect(elapsed).toBeLessThan(20_000);
}, 120_000);

it("npm prints text, not JSON, in a clone: the repository no longer sets json=true", () => {
  const packed = spawnSync("npm", ["pack", "--dry-run", "--ignore-scripts"], {
    cwd: clone,
    env: cleanEnv,
    encoding: "utf8",
  });
  expect(packed.status).toBe(0);
  expect(packed.stdout).toMatch(/^convotic-[\d.]+\.tgz\n$/);
  expect(packed.stderr).toMatch(/npm notice/);
}, 60_000);
