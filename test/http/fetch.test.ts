import { toFetchHandler } from "../../src/http";
import {
  expectNoSecrets,
  expected,
  fixturesFor,
  handshakeFor,
  normalizer,
  secretsFor,
  shimSuite,
  signedHeaders,
  jsonPlatforms,
} from "./support";

/*
 * The fetch shim with real `Request` objects, as Hono (`c.req.raw`), Next.js route handlers, Bun and workers
 * hand them over: full URLs, a streamed body, `Headers` instances.
 */
const { logger, sink, blockOf, handler } = shimSuite("fx", "ws_fetch");
const handle = toFetchHandler(handler({ bodyLimit: 4096 }));
const origin = "https://hooks.example.test";

describe.each(jsonPlatforms)("fetch shim, %s", (platform) => {
  const block = blockOf(platform);
  const fixture = fixturesFor(platform).find((item) => item.body.length <= 4096)!;
  const url = `${origin}/webhooks/${block.id}`;

  it("answers a signed Request with a JSON Response and emits what the pipeline emits", async () => {
    const request = new Request(url, {
      method: "POST",
      headers: new Headers(signedHeaders(platform, fixture.body, block.secrets)),
      body: fixture.body,
    });
    const response = await handle(request);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const want = expected(platform, fixture.body, block);
    expect(await response.json()).toEqual({ ok: true, events: want.events.length, unhandled: want.unhandled.length });
    expect(sink.events).toEqual(want.events);
  });

  it("reads a streamed body", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(fixture.body.subarray(0, 10));
        controller.enqueue(fixture.body.subarray(10));
        controller.close();
      },
    });
    const init = {
      method: "POST",
      headers: signedHeaders(platform, fixture.body, block.secrets),
      body,
      duplex: "half",
    };
    const response = await handle(new Request(url, init as RequestInit));
    expect(response.status).toBe(200);
  });

  it("answers 401, 415, 400, 413 and 404", async () => {
    const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
      handle(new Request(`${origin}${path}`, { method: "POST", headers, body })).then((response) => response.status);
    expect(await post(`/webhooks/${block.id}`, fixture.body, { "content-type": "application/json" })).toBe(401);
    expect(
      await post(
        `/webhooks/${block.id}`,
        fixture.body,
        signedHeaders(platform, fixture.body, secretsFor(platform).wrong),
      ),
    ).toBe(401);
    expect(
      await post(
        `/webhooks/${block.id}`,
        fixture.body,
        signedHeaders(platform, fixture.body, block.secrets, "text/plain"),
      ),
    ).toBe(415);
    const bad = Buffer.from("{nope");
    expect(await post(`/webhooks/${block.id}`, bad, signedHeaders(platform, bad, block.secrets))).toBe(400);
    const big = Buffer.from(JSON.stringify({ pad: "y".repeat(5000) }));
    expect(await post(`/webhooks/${block.id}`, big, signedHeaders(platform, big, block.secrets))).toBe(413);
    expect(await post("/webhooks/unknown", fixture.body, { "content-type": "application/json" })).toBe(404);
  });

  it("answers GET with the handshake, or 405 with Allow when the platform has none", async () => {
    const adapter = normalizer.adapterFor(platform);
    if (adapter.handshake === undefined) {
      const response = await handle(new Request(url));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      return;
    }
    const handshake = handshakeFor(platform);
    const ok = await handle(new Request(`${url}?${handshake.valid}`));
    expect([ok.status, await ok.text(), ok.headers.get("content-type")]).toEqual([
      200,
      handshake.body,
      "text/plain; charset=utf-8",
    ]);
    const refused = await handle(new Request(`${url}?${handshake.invalid}`));
    expect(refused.status).toBe(403);
  });

  it("answers body_already_parsed when the body was read upstream", async () => {
    const request = new Request(url, {
      method: "POST",
      headers: signedHeaders(platform, fixture.body, block.secrets),
      body: fixture.body,
    });
    await request.json();
    const response = await handle(request);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("body_already_parsed");
  });
});

describe("logs of this file", () => {
  it("contain no secrets", () => {
    expect(logger.lines.length).toBeGreaterThan(0);
    expectNoSecrets(logger.lines);
  });
});
