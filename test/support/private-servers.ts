import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as connectSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A `redis-server` or `nats-server` this test starts itself on a port of its own (Redis 6391-6399, NATS 4231-4239),
 * so it can pause it (SIGSTOP), resume it (SIGCONT), kill and restart it without touching the shared servers. Only
 * the process it started is ever signalled (by its PID).
 */
export class PrivateServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly dir = mkdtempSync(join(tmpdir(), "convotic-private-"));

  constructor(
    readonly kind: "redis" | "nats",
    readonly port: number,
    private readonly extraArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return this.kind === "redis" ? `redis://127.0.0.1:${this.port}` : `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server (with `args` in place of the extra arguments given at construction) and waits until it answers. */
  async start(args: readonly string[] = this.extraArgs): Promise<void> {
    const [command, base] =
      this.kind === "redis"
        ? [
            "redis-server",
            ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir],
          ]
        : ["nats-server", ["-a", "127.0.0.1", "-p", String(this.port), "-sd", this.dir]];
    const child = spawn(command, [...base, ...args], { stdio: "ignore" });
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    await this.waitAnswers(10_000);
  }

  pause(): void {
    this.signal("SIGSTOP");
  }

  resume(): void {
    this.signal("SIGCONT");
  }

  /** SIGKILL (a crash: a memory stream is lost) and waits for the exit. */
  async kill(): Promise<void> {
    if (this.child === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGCONT");
    this.child.kill("SIGKILL");
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.child?.pid === undefined) throw new Error(`${this.kind} on ${this.port} is not running`);
    this.child.kill(signal);
  }

  /** Redis answers PING with +PONG; NATS greets with INFO. */
  private async waitAnswers(timeoutMs: number): Promise<void> {
    const ends = Date.now() + timeoutMs;
    while (Date.now() < ends) {
      if (await this.answers()) return;
      if (this.child?.exitCode !== null)
        throw new Error(`${this.kind}-server on port ${this.port} exited at start (is the port taken?)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.kind}-server on port ${this.port} did not answer within ${timeoutMs} ms`);
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connectSocket(this.port, "127.0.0.1");
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.on("error", () => done(false));
      if (this.kind === "redis") socket.on("connect", () => socket.write("PING\r\n"));
      socket.on("data", (data) => done(String(data).startsWith(this.kind === "redis" ? "+PONG" : "INFO")));
    });
  }
}

/** Waits until `condition` holds, polling; throws naming `what` after `timeoutMs`. Returns the ms it took. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 25,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
