import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, cloneProject, root } from "./support";

/*
 * The README's first command, `npm start`, in a fresh clone (no dist/: prestart builds it): stdout carries
 * the events only, as JSON lines (`npm start | jq` works), and SIGTERM to the `npm start` process stops the
 * server instead of leaving it re-parented and holding the port.
 */
let work: string;
let npmStart: ChildProcess;
let stdout = "";
let stderr = "";

beforeAll(() => {
  let clone: string;
  ({ work, clone } = cloneProject());
  const env: NodeJS.ProcessEnv = { ...cleanEnv, PORT: "0" };
  delete env["TELEGRAM_SECRET_TOKEN"];
  npmStart = spawn("npm", ["start"], { cwd: clone, env, stdio: ["ignore", "pipe", "pipe"] });
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
  expect(stderr).toMatch(/> convotic@[\d.]+ start/);
}, 300_000);
