import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { signRequest } from "../../src/core";
import { convoticExpress, toFetchHandler } from "../../src/http";
import {
  captureLogger,
  expected,
  fixturesFor,
  normalizer,
  recordingSink,
  secretsFor,
  serveTest,
  testHandler,
} from "./support";

/*
 * WeChat over the three ways the edge is mounted (a real node server, Express 5 with express.json() on other
 * routes, the fetch shim): every fixture signed in the query and encrypted (the test block is in safe mode),
 * answered `success` as text/plain, with exactly the events the pipeline makes of the plaintext; the GET
 * handshake echoes `echostr`. The JSON-only suites (server, fetch, Express) skip WeChat for these.
 */
const platform = "wechat";
const secrets = secretsFor(platform);
const block = { id: "blk_wechat_http", platform, workspace_id: "ws_http", secrets: secrets.valid };
const fixtures = fixturesFor(platform);
const adapter = normalizer.adapterFor(platform);
const HANDSHAKE =
  "signature=fe54070374c2f5ee20463f4508999a1a4ace2ed5&timestamp=1767225000&nonce=987654321&echostr=7391758426";

/** Every fixture posted to `origin + path` as WeChat would post it; each answer checked, then the sink's events. */
async function deliverAll(origin: string, path: string, sink: ReturnType<typeof recordingSink>): Promise<void> {
  for (const fixture of fixtures) {
    sink.reset();
    const signed = signRequest(adapter, fixture.body, secrets.valid, { url: path });
    expect(Buffer.from(signed.rawBody).includes(Buffer.from("<Encrypt>"))).toBe(true);
    const response = await fetch(`${origin}${signed.url!}`, {
      method: "POST",
      headers: { "content-type": "text/xml", ...signed.headers },
      body: Buffer.from(signed.rawBody),
    });
    expect([fixture.name, response.status, await response.text()]).toEqual([fixture.name, 200, "success"]);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(sink.events).toEqual(expected(platform, fixture.body, block).events);
  }
}

describe("wechat over a real server", () => {
  it("accepts every fixture encrypted and signed in the query, and answers the handshake", async () => {
    const served = await serveTest({ blocks: [block], logger: captureLogger() });
    await deliverAll(served.server.url, `/webhooks/${block.id}`, served.sink);
    const handshake = await fetch(served.url(`/webhooks/${block.id}?${HANDSHAKE}`));
    expect([handshake.status, await handshake.text()]).toEqual([200, "7391758426"]);
    const unsigned = await fetch(served.url(`/webhooks/${block.id}`), {
      method: "POST",
      headers: { "content-type": "text/xml" },
      body: fixtures[0]!.body,
    });
    expect(unsigned.status).toBe(401);
  });
});

describe("wechat through the Express shim and the fetch shim", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("reads the raw XML under an app that parses JSON elsewhere", async () => {
    const sink = recordingSink();
    const app = express();
    app.use("/api", express.json());
    app.use(convoticExpress(testHandler({ blocks: [block], sink, logger: captureLogger() })));
    const server = await new Promise<Server>((resolve) => {
      const started = app.listen(0, "127.0.0.1", () => resolve(started));
    });
    servers.push(server);
    await deliverAll(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, `/webhooks/${block.id}`, sink);
  });

  it("answers fetch Requests", async () => {
    const sink = recordingSink();
    const handle = toFetchHandler(testHandler({ blocks: [block], sink, logger: captureLogger() }));
    const origin = "https://hooks.example.test";
    const signed = signRequest(adapter, fixtures[0]!.body, secrets.valid, { url: `/webhooks/${block.id}` });
    const response = await handle(
      new Request(`${origin}${signed.url!}`, {
        method: "POST",
        headers: { "content-type": "application/xml; charset=utf-8" },
        body: Buffer.from(signed.rawBody),
      }),
    );
    expect([response.status, await response.text()]).toEqual([200, "success"]);
    expect(sink.events).toEqual(expected(platform, fixtures[0]!.body, block).events);
    const handshake = await handle(new Request(`${origin}/webhooks/${block.id}?${HANDSHAKE}`));
    expect(await handshake.text()).toBe("7391758426");
  });
});
