import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export interface Received {
  id: string;
  timestamp: number;
  body: string;
  contentType: string;
  /** which of the receiver's secrets verified it (standardwebhooks package) */
  verifiedWith: number[];
  status: number;
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string> } | "drop";

/**
 * A real subscriber on 127.0.0.1: verifies each request with the `standardwebhooks` package against every secret
 * it knows, answers with `respond(n)` for the n-th request (0-based), and records what came in.
 */
export async function startReceiver(
  secrets: readonly string[],
  respond: (n: number) => Reply = () => ({ status: 204 }),
) {
  const received: Received[] = [];
  const verifiers = secrets.map((secret) => new Webhook(secret));
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  const server: Server = createServer(async (request, response) => {
    const body = await read(request);
    const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
    const verifiedWith = verifiers.flatMap((verifier, index) => {
      try {
        verifier.verify(body, headers);
        return [index];
      } catch {
        return [];
      }
    });
    const reply = respond(received.length);
    received.push({
      id: headers["webhook-id"] ?? "",
      timestamp: Number(headers["webhook-timestamp"]),
      body,
      contentType: headers["content-type"] ?? "",
      verifiedWith,
      status: reply === "drop" ? 0 : reply.status,
      at: Date.now(),
    });
    if (reply === "drop") {
      request.socket.destroy();
      return;
    }
    response.writeHead(reply.status, reply.headers ?? {}).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url, received, close, server };
}

/** Polls until `check` is true (bounded). */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
