import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { SubscriberClient, SubscriberTimeoutError } from "../../src/delivery/sinks/subscriber-client";

/*
 * The webhook sink's HTTP client against real servers on 127.0.0.1: what fetch gave the sink (an answer at its
 * headers, no redirect followed, a timeout over the attempt, a stop that cancels it, the socket's error code) and
 * what it is for: one kept connection for delivery after delivery.
 */
const never = new AbortController().signal;
const servers: Server[] = [];
const clients: SubscriberClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())))),
  );
});

async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; sockets: Set<Socket>; bodies: string[] }> {
  const sockets = new Set<Socket>();
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    sockets.add(request.socket);
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      bodies.push(body);
      handler(request, response);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, sockets, bodies };
}

function client(url: string): SubscriberClient {
  const made = new SubscriberClient(url);
  clients.push(made);
  return made;
}

const headers = { "content-type": "application/json", "webhook-id": "msg_1" };

it("posts the body with its length and headers, and keeps one connection for delivery after delivery", async () => {
  const seen: (string | undefined)[] = [];
  const subscriber = await serve((request, response) => {
    seen.push(request.headers["content-length"], String(request.headers["webhook-id"]));
    response.writeHead(204).end();
  });
  const sink = client(subscriber.url);
  for (let i = 0; i < 5; i += 1) {
    const answer = await sink.post(headers, `{"n":${i},"text":"café"}`, 5_000, never);
    expect(answer).toEqual({ status: 204, retryAfter: undefined });
  }
  expect(subscriber.bodies).toEqual([0, 1, 2, 3, 4].map((i) => `{"n":${i},"text":"café"}`));
  expect(seen.slice(0, 2)).toEqual([String(Buffer.byteLength('{"n":0,"text":"café"}')), "msg_1"]);
  expect(subscriber.sockets.size).toBe(1);
});

it("gives the status and Retry-After of an answer, and follows no redirect", async () => {
  const elsewhere = await serve((_request, response) => response.writeHead(204).end());
  const subscriber = await serve((request, response) => {
    if (request.url === "/hooks") response.writeHead(302, { location: elsewhere.url }).end();
    else response.writeHead(503, { "retry-after": "7" }).end("busy");
  });
  expect(await client(subscriber.url).post(headers, "{}", 5_000, never)).toEqual({
    status: 302,
    retryAfter: undefined,
  });
  expect(elsewhere.bodies).toEqual([]);
  expect(await client(`${subscriber.url}/busy`).post(headers, "{}", 5_000, never)).toEqual({
    status: 503,
    retryAfter: "7",
  });
});

it("answers at the headers of a large answer, drops its connection, and the next delivery gets a new one", async () => {
  let requests = 0;
  const subscriber = await serve((_request, response) => {
    requests += 1;
    if (requests > 1) return void response.writeHead(204).end();
    // an answer that never ends: far more than the client drains
    response.writeHead(200, { "content-type": "text/plain" });
    const chunk = "x".repeat(16 * 1024);
    const pump = () => {
      while (response.write(chunk));
    };
    response.on("drain", pump);
    pump();
  });
  const sink = client(subscriber.url);
  expect((await sink.post(headers, "{}", 5_000, never)).status).toBe(200);
  expect((await sink.post(headers, "{}", 5_000, never)).status).toBe(204);
  expect(subscriber.sockets.size).toBe(2);
});

it("fails an attempt that outlives its timeout, and one the sink stops", async () => {
  const subscriber = await serve(() => undefined); // never answers
  const started = Date.now();
  const timedOut = client(subscriber.url).post(headers, "{}", 100, never);
  await expect(timedOut).rejects.toBeInstanceOf(SubscriberTimeoutError);
  await expect(timedOut).rejects.toThrow("timeout after 100 ms");
  expect(Date.now() - started).toBeLessThan(2_000);

  const stop = new AbortController();
  const stopped = client(subscriber.url).post(headers, "{}", 60_000, stop.signal);
  setTimeout(() => stop.abort(), 50);
  await expect(stopped).rejects.toMatchObject({ name: "AbortError", message: "This operation was aborted" });
  await expect(client(subscriber.url).post(headers, "{}", 60_000, stop.signal)).rejects.toMatchObject({
    name: "AbortError",
  });
});

it("fails with the socket's error code when nothing listens", async () => {
  const subscriber = await serve((_request, response) => response.end());
  const url = subscriber.url;
  await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
  await expect(client(url).post(headers, "{}", 5_000, never)).rejects.toMatchObject({ code: "ECONNREFUSED" });
});
