import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { convoticExpress } from "../../src/http";
import {
  expectNoSecrets,
  expected,
  fixturesFor,
  handshakeFor,
  normalizer,
  shimSuite,
  signedHeaders,
  jsonPlatforms,
} from "./support";

/*
 * The Express 5 shim inside a real Express app that also uses express.json(): on its own routes (which must keep
 * working, and must not disturb ours), in front of one of our routes (which must give the clear error, not a
 * confusing 401), and globally in a second app.
 */
const { logger, sink, blockOf, handler: handlerWith } = shimSuite("ex", "ws_express");
const servers: Server[] = [];
const handler = handlerWith();
const behindParser = handlerWith({ basePath: "/parsed/webhooks" });
const underRaw = handlerWith({ basePath: "/raw/webhooks" });

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const started = app.listen(0, "127.0.0.1", () => resolve(started));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base: string;
let globalBase: string;

beforeAll(async () => {
  const app = express();
  app.use("/api", express.json());
  app.post("/api/echo", (req, res) => {
    res.json({ echoed: req.body as unknown });
  });
  app.post("/parsed/webhooks/:id", express.json(), convoticExpress(behindParser));
  app.use("/raw", express.raw({ type: "application/json" }));
  app.use(convoticExpress(underRaw));
  app.use(convoticExpress(handler));
  app.get("/health", (_req, res) => {
    res.send("ok");
  });
  base = await listen(app);

  const global = express();
  global.use(express.json());
  global.use("/webhooks", convoticExpress(handler));
  globalBase = await listen(global);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

function postFixture(url: string, platform: string) {
  const fixture = fixturesFor(platform)[0]!;
  const block = blockOf(platform);
  return {
    fixture,
    block,
    response: fetch(url, {
      method: "POST",
      headers: signedHeaders(platform, fixture.body, block.secrets),
      body: fixture.body,
    }),
  };
}

describe.each(jsonPlatforms)("Express shim, %s", (platform) => {
  it("verifies and normalises the exact bytes while express.json() serves other routes of the app", async () => {
    const { fixture, block, response } = postFixture(`${base}/webhooks/ex_${platform}`, platform);
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(sink.events).toEqual(expected(platform, fixture.body, block).events);
    const echo = await fetch(`${base}/api/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ echoed: { a: 1 } });
  });

  it("answers 401, 415 and 404 like the server does", async () => {
    const fixture = fixturesFor(platform)[0]!;
    const unsigned = await fetch(`${base}/webhooks/ex_${platform}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: fixture.body,
    });
    expect(unsigned.status).toBe(401);
    const text = await fetch(`${base}/webhooks/ex_${platform}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: fixture.body,
    });
    expect(text.status).toBe(415);
    const unknown = await fetch(`${base}/webhooks/nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
  });

  it("gives the clear body_already_parsed error when express.json() ran in front of the route", async () => {
    const { response } = postFixture(`${base}/parsed/webhooks/ex_${platform}`, platform);
    const answer = await response;
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({
      error: {
        code: "body_already_parsed",
        message: expect.stringContaining("mount convotic before express.json() or on its own route"),
      },
    });
    expect(sink.events).toEqual([]);
  });

  it("gives the same clear error when express.json() is mounted globally", async () => {
    const { response } = postFixture(`${globalBase}/webhooks/ex_${platform}`, platform);
    const answer = await response;
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("body_already_parsed");
  });

  it("uses the bytes express.raw() kept", async () => {
    const { response } = postFixture(`${base}/raw/webhooks/ex_${platform}`, platform);
    expect((await response).status).toBe(200);
  });
});

describe("Express shim routing", () => {
  it("calls next() outside its base path, so the app's other routes and 404s still work", async () => {
    expect(await (await fetch(`${base}/health`)).text()).toBe("ok");
    const missing = await fetch(`${base}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("Cannot GET /nothing-here");
  });

  it("works when mounted under a path (app.use('/webhooks', …))", async () => {
    const platform = normalizer.platforms[0]!;
    const fixture = fixturesFor(platform)[0]!;
    const block = blockOf(platform);
    const headers = signedHeaders(platform, fixture.body, block.secrets);
    const global = express();
    global.use("/webhooks", convoticExpress(handler));
    const url = await listen(global);
    expect((await fetch(`${url}/webhooks/${block.id}`, { method: "POST", headers, body: fixture.body })).status).toBe(
      200,
    );
  });

  it("answers a handshake GET for adapters that have one", async () => {
    const platform = normalizer.platforms.find((name) => normalizer.adapterFor(name).handshake !== undefined)!;
    const handshake = handshakeFor(platform);
    const response = await fetch(`${base}/webhooks/ex_${platform}?${handshake.valid}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(handshake.body);
    // the handshake is answered from the block's configuration and its event delivered after the answer: let it
    // land here, not in the next test's sink
    await handler.drain();
  });

  it("verifies escaped emoji and slashes byte for byte (what re-serialising parsers break)", async () => {
    const body = Buffer.from(
      '{"object":"testchat","entry":[{"account":"a\\/1","events":[{"id":"\\uD83E\\uDD28 \\u00e4","user":"u\\/2","kind":"follow","ts":1790000000000}]}]}',
    );
    expect(JSON.stringify(JSON.parse(body.toString()))).not.toBe(body.toString());
    const block = blockOf("testchat");
    const response = await fetch(`${base}/webhooks/${block.id}`, {
      method: "POST",
      headers: signedHeaders("testchat", body, block.secrets),
      body,
    });
    expect(response.status).toBe(200);
    expect(sink.events.map((event) => event.metadata.raw_platform_event_id)).toEqual(["\u{1F928} ä"]);
  });

  it("answers 413 to a body over the limit while reading the stream itself", async () => {
    const block = blockOf("testchat");
    const body = Buffer.from(JSON.stringify({ object: "testchat", entry: [], pad: "x".repeat(handler.bodyLimit) }));
    const response = await fetch(`${base}/webhooks/${block.id}`, {
      method: "POST",
      headers: signedHeaders("testchat", body, block.secrets),
      body,
    });
    expect(response.status).toBe(413);
  });

  it("logged nothing secret", () => {
    expectNoSecrets(logger.lines);
  });
});
