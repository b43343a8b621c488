import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { parseDeadLetters } from "../../src/delivery/sinks/dead-letter";

/*
 * The outbox's crash tests drive the built CLI (`node dist/cli/main.js serve`) in a child process, SIGKILL it,
 * and start it again on the same data directory, against a real Standard Webhooks subscriber on 127.0.0.1.
 */
export const TOKEN = "outbox-crash-token_5Tq";
const MAIN = join(__dirname, "..", "..", "dist", "cli", "main.js");

export function telegramUpdate(id: number): string {
  const user = { id: 7, is_bot: false, first_name: "S" };
  return JSON.stringify({
    update_id: id,
    message: { message_id: id, date: 1_790_000_000, chat: { id: 7, type: "private" }, from: user, text: `t${id}` },
  });
}

/** A config with one Telegram block and one webhook sink named `crm`; the data directory is `dir/data`. */
export function writeConfig(dir: string, sink: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const path = join(dir, "convotic.config.json");
  writeFileSync(
    path,
    JSON.stringify({
      data_dir: "data",
      shutdown_grace: "1s",
      ...extra,
      sinks: [
        { kind: "webhook", name: "crm", secrets: ["${CRM_WHSEC}"], dead_letter: join(dir, "dead.jsonl"), ...sink },
      ],
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
    }),
  );
  return path;
}

export interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
  /** POSTs Telegram update `id`; resolves with the status, or 0 when the connection failed (serve died) */
  send(id: number): Promise<number>;
  kill(): Promise<void>;
}

/** Starts `serve` and waits (bounded) for its "listening on" line. */
export async function startServe(config: string, secret: string, env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [MAIN, "serve", "--config", config, "--port", "0"], {
    env: { PATH: process.env["PATH"] ?? "", CRM_WHSEC: secret, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (url !== undefined) {
      const send = async (id: number) => {
        try {
          const response = await fetch(`${url}/webhooks/tg`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": TOKEN },
            body: telegramUpdate(id),
            signal: AbortSignal.timeout(10_000),
          });
          await response.body?.cancel();
          return response.status;
        } catch {
          return 0;
        }
      };
      const kill = async () => {
        if (!gone) child.kill("SIGKILL");
        await exited;
      };
      return { child, url, exited, log: () => stderr, send, kill };
    }
    if (gone || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`serve did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Reception {
  readonly id: string;
  readonly eventId: string;
  readonly verified: boolean;
  /** what the subscriber answered (0: it never answered) */
  status: number;
}

export type Answer = { status: number; delayMs?: number } | "hold";

/**
 * A Standard Webhooks subscriber: verifies each request with the `standardwebhooks` package and answers as
 * `answer(n)` says for the n-th request (`hold`: never answers; the test kills serve meanwhile).
 */
export async function startSubscriber(secret: string, answer: (n: number) => Answer) {
  const verifier = new Webhook(secret);
  const receptions: Reception[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      let verified = true;
      try {
        verifier.verify(body, headers);
      } catch {
        verified = false;
      }
      const reception: Reception = {
        id: headers["webhook-id"] ?? "",
        eventId: (JSON.parse(body) as { id: string }).id,
        verified,
        status: 0,
      };
      receptions.push(reception);
      const reply = answer(receptions.length - 1);
      if (reply === "hold") {
        held.push(response);
        return;
      }
      setTimeout(() => {
        reception.status = reply.status;
        response.writeHead(reply.status).end();
      }, reply.delayMs ?? 0);
    });
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, receptions, close };
}

/** The `webhook-id`s in the dead-letter file (none when it does not exist). */
export function deadLetterIds(path: string): string[] {
  return existsSync(path) ? parseDeadLetters(readFileSync(path, "utf8")).records.map((record) => record.id) : [];
}

/** Polls until `check` is true, or throws naming `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
