import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");

export interface BuiltServe {
  readonly child: ChildProcess;
  /** the webhook listener's origin */
  readonly url: string;
  /** where /healthz, /readyz and /metrics are (the ops listener when one is set) */
  readonly opsUrl: string;
  stderr(): string;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

/** Runs the built CLI (`npm run build` first) as a real process until it says where it listens. */
export async function startBuiltServe(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<BuiltServe> {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env["PATH"] ?? "", ...env },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = await new Promise<{ url: string; opsUrl: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve did not start within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    const look = () => {
      const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      const opsUrl = /health at (http:\/\/\S+)\/healthz/.exec(stderr)?.[1];
      if (url !== undefined && opsUrl !== undefined) {
        clearTimeout(timer);
        child.stderr!.off("data", look);
        resolve({ url, opsUrl });
      }
    };
    child.stderr!.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr}`));
    });
  });
  return {
    child,
    ...started,
    stderr: () => stderr,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Runs the built CLI's `serve` to its exit (for configs that must be refused). */
export function runBuiltServe(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number | null; stderr: string }> {
  return runBuiltCli(["serve", ...args], env, timeoutMs);
}

/** Runs the built CLI with `args` to its exit, in its own process, with only PATH and `env` in its environment. */
export function runBuiltCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env["PATH"] ?? "", ...env },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args[0] ?? "convotic"} did not exit within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const ends = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > ends) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
