import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { request } from "node:http";
import { Socket } from "node:net";
import { join } from "node:path";

/*
 * `convotic serve` as an operator runs it: the built CLI (`npm run build` first) in its own process, its stdout a
 * real pipe (a FIFO: Node's own `stdio: "pipe"` is a socket pair), signals sent to its pid.
 */
export const CLI = join(__dirname, "..", "..", "dist", "cli", "main.js");
export const TOKEN = "lifecycle-token_Wq7rX2";

/** A Telegram update whose message text is `size` characters, so a few dozen fill a pipe's 64 KiB. */
export function update(id: number, size = 2000): string {
  const user = { id: 7, is_bot: false, first_name: "S" };
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: 1_790_000_000,
      chat: { id: 7, type: "private" },
      from: user,
      text: `t${id} ${"x".repeat(size)}`,
    },
  });
}

/**
 * What a test started (processes, pipe ends), undone by `cleanUp()` in an `afterEach`: a test that fails by
 * timing out never reaches its `finally`, and a serve left running would hold jest open.
 */
const leftovers = new Set<() => void>();

export function cleanUp(): void {
  for (const undo of leftovers) {
    try {
      undo();
    } catch {
      // already gone
    }
  }
  leftovers.clear();
}

/** Kills `child` (its whole process group when it leads one) at `cleanUp()` if it is still running. */
export function track(child: ChildProcess, { group = false } = {}): void {
  leftovers.add(() => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    if (group) process.kill(-child.pid, "SIGKILL");
    else child.kill("SIGKILL");
  });
}

export const HEADERS = { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN };

/** The config of one Telegram block, with serve's own settings (`shutdown_grace`, `stdout_buffer_bytes`…). */
export function serveConfig(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...extra,
    blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
  });
}

/**
 * A named pipe: its write end becomes serve's stdout; the test holds the read end and decides whether it reads
 * (`reader()`), never reads, or exits (`close()`, after which serve's writes fail with EPIPE).
 */
export function fifo(dir: string, name = "stdout.fifo") {
  const path = join(dir, name);
  execFileSync("mkfifo", [path]);
  // the read end first and non-blocking (no writer yet), then the write end, which a reader lets open at once
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  let socket: Socket | undefined;
  let text = "";
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (socket !== undefined) socket.destroy();
    else closeSync(readFd);
  };
  leftovers.add(close);
  return {
    writeFd,
    /** the text read so far, once `reader()` started reading */
    text: () => text,
    /** starts reading everything serve writes */
    reader(): void {
      socket = new Socket({ fd: readFd, readable: true, writable: false });
      socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
      socket.on("error", () => undefined);
    },
    /** the reader exits: no read end is left open */
    close,
  };
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stderr(): string;
  /** the exit, with the time it happened (`Date.now()`) */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** posts update `id`; resolves with the status, or "refused" when no answer came (serve stopped listening) */
  send(id: number, size?: number): Promise<number | "refused">;
}

/** Spawns `serve` with `stdout` as its stdout (a FIFO's write end, which the parent then closes) and waits for it to listen. */
export async function spawnServe(configPath: string, stdout: number): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, "serve", "--config", configPath, "--port", "0"], {
    stdio: ["ignore", stdout, "pipe"],
  });
  track(child);
  closeSync(stdout); // serve holds the write end now; the test keeps only the read end
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const url = await waitFor(
    () => /listening on (http:\/\/\S+)/.exec(stderr)?.[1],
    "serve to listen",
    20_000,
    () => stderr,
  );
  const send = (id: number, size?: number) =>
    fetch(`${url}/webhooks/tg`, { method: "POST", headers: HEADERS, body: update(id, size) }).then(
      (response) => response.status,
      () => "refused" as const,
    );
  return { child, url, stderr: () => stderr, exited, send };
}

/** Polls `probe` until it returns a value, failing after `timeoutMs` with what `context` says. */
export async function waitFor<T>(
  probe: () => T | undefined,
  what: string,
  timeoutMs: number,
  context: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A POST whose body is only half sent: a request in flight for as long as the test wants. `started` settles once
 * serve took the request (it answered the `Expect: 100-continue` header, which Node's server does as it emits
 * the request) and half the body is out; `finish()` sends the rest and resolves with the status.
 */
export function slowUpload(
  url: string,
  body: string,
  to = { path: "/webhooks/tg", headers: HEADERS },
): { started: Promise<void>; finish(): Promise<number> } {
  const half = Math.floor(body.length / 2);
  let markStarted = () => undefined as void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let sendRest = () => undefined as void;
  const answered = new Promise<number>((resolve, reject) => {
    const headers = { ...to.headers, "content-length": Buffer.byteLength(body), expect: "100-continue" };
    const req = request(`${url}${to.path}`, { method: "POST", headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.once("continue", () => req.write(body.slice(0, half), () => markStarted()));
    req.flushHeaders();
    sendRest = () => req.end(body.slice(half));
  });
  return {
    started,
    finish() {
      sendRest();
      return answered;
    },
  };
}

/** The log lines at level `error` (text format: `<time> error <message>`). */
export function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /^\S+ error /.test(line));
}
