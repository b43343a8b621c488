import { DEFAULT_BODY_LIMIT } from "../../src/http";
import {
  captureLogger,
  expectNoSecrets,
  expected,
  fixturesFor,
  handshakeFor,
  normalizer,
  post,
  secretsFor,
  serverPerSuite,
  serveTest,
  signedHeaders,
  jsonPlatforms,
} from "./support";

/*
 * Integration tests against a real listening server (127.0.0.1, port 0) with real fetch, for every platform in
 * the registry. Cases are derived from the adapter contract: handshake cases run for adapters with `handshake`;
 * shared routes are in server-shared.test.ts.
 */
const logger = captureLogger();

const serve = (blocks: unknown[], options: { bodyLimit?: number } = {}) => serveTest({ blocks, logger, ...options });

const servedPerSuite = (blocks: () => unknown[]) => serverPerSuite(() => serve(blocks()));

describe.each(jsonPlatforms)("%s over a real server", (platform) => {
  const adapter = normalizer.adapterFor(platform);
  const fixtures = fixturesFor(platform);
  const secrets = secretsFor(platform);
  const handshake = adapter.handshake === undefined ? undefined : handshakeFor(platform);
  const block = { id: `blk_${platform}_http`, platform, workspace_id: "ws_http", secrets: secrets.valid };
  const first = () => fixtures[0]!;
  const route = `/webhooks/${block.id}`;
  const served = servedPerSuite(() => [block]);

  it("has fixtures to send", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it("accepts every fixture signed with the block's secret and emits exactly what the pipeline emits", async () => {
    for (const fixture of fixtures) {
      served().sink.reset();
      const response = await post(
        served().url(route),
        fixture.body,
        signedHeaders(platform, fixture.body, block.secrets),
      );
      const want = expected(platform, fixture.body, block);
      expect({ fixture: fixture.name, status: response.status }).toEqual({ fixture: fixture.name, status: 200 });
      // a fixture of an undocumented kind also counts its drift (docs/drift.md)
      expect(response.json()).toEqual({
        ok: true,
        events: want.events.length,
        unhandled: want.unhandled.length,
        ...(want.drift === undefined ? {} : { drift: want.drift.length }),
      });
      // a verification (LINE's Verify, Viber's webhook callback) is delivered after its answer
      await served().handler.drain();
      expect(served().sink.events).toEqual(want.events);
      expect(served().sink.unhandled).toEqual(want.unhandled);
    }
  }, 30_000); // one request per fixture, in sequence: slow on a loaded machine

  it("rejects a tampered body with 401 when the signature covers the body", async () => {
    const headers = signedHeaders(platform, first().body, block.secrets);
    const tampered = Buffer.concat([first().body, Buffer.from(" ")]);
    const coversBody =
      JSON.stringify(adapter.sign(tampered, block.secrets)) !==
      JSON.stringify(adapter.sign(first().body, block.secrets));
    const response = await post(served().url(route), tampered, headers);
    expect(response.status).toBe(coversBody ? 401 : 200);
  });

  it("rejects a missing signature and a wrong secret with 401 and a JSON error, processing nothing", async () => {
    const missing = await post(served().url(route), first().body, { "content-type": "application/json" });
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({
      error: { code: "invalid_signature", message: expect.stringContaining(`[${platform}]`) },
    });
    const wrong = await post(served().url(route), first().body, signedHeaders(platform, first().body, secrets.wrong));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(served().sink.events).toEqual([]);
  });

  it("answers 415 to a body that is not declared as UTF-8 JSON, before looking at the signature", async () => {
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "application/json; charset=latin1",
      "application/jsonx",
    ]) {
      const response = await post(
        served().url(route),
        first().body,
        signedHeaders(platform, first().body, block.secrets, type),
      );
      expect({ type, status: response.status, code: (response.json()["error"] as { code: string }).code }).toEqual({
        type,
        status: 415,
        code: "unsupported_media_type",
      });
    }
    const { "content-type": _dropped, ...unsigned } = signedHeaders(platform, first().body, block.secrets);
    const none = await post(served().url(route), first().body, unsigned);
    expect(none.status).toBe(415);
    const upper = await post(
      served().url(route),
      first().body,
      signedHeaders(platform, first().body, block.secrets, "Application/JSON; charset=UTF-8"),
    );
    expect(upper.status).toBe(200);
  });

  it("answers 400 with a JSON error to signed bodies that are not JSON or not this platform's payload", async () => {
    for (const [body, code] of [
      ['{"truncated": ', "invalid_json"],
      ["not json at all", "invalid_json"],
      ['{"hello":"world"}', "invalid_payload"],
      ["[]", "invalid_payload"],
    ] as const) {
      const bytes = Buffer.from(body);
      const response = await post(served().url(route), bytes, signedHeaders(platform, bytes, block.secrets));
      expect({ body, status: response.status, error: response.json()["error"] }).toEqual({
        body,
        status: 400,
        error: { code, message: expect.stringContaining(`[${platform}]`) },
      });
    }
    expect(served().sink.events).toEqual([]);
  });

  it("answers 413 to a body over the limit (1 MiB by default) even when it is signed", async () => {
    const body = Buffer.from(JSON.stringify({ pad: "x".repeat(DEFAULT_BODY_LIMIT) }));
    const response = await post(served().url(route), body, signedHeaders(platform, body, block.secrets));
    expect(response.status).toBe(413);
    expect(response.json()).toEqual({
      error: { code: "payload_too_large", message: expect.stringContaining(String(DEFAULT_BODY_LIMIT)) },
    });
  });

  it("answers 404 to an unknown block without naming the configured ones", async () => {
    const response = await post(
      served().url("/webhooks/no-such-block"),
      first().body,
      signedHeaders(platform, first().body, block.secrets),
    );
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({ error: { code: "not_found", message: 'unknown block "no-such-block"' } });
    expect((await post(served().url("/elsewhere"), first().body, { "content-type": "application/json" })).status).toBe(
      404,
    );
  });

  it("answers 405 with Allow to methods other than POST and (for handshakes) GET", async () => {
    const allow = adapter.handshake === undefined ? "POST" : "GET, POST";
    for (const method of ["HEAD", "PUT", "DELETE"]) {
      const response = await fetch(served().url(route), { method });
      expect({ method, status: response.status, allow: response.headers.get("allow") }).toEqual({
        method,
        status: 405,
        allow,
      });
      await response.arrayBuffer();
    }
    if (adapter.handshake === undefined) {
      const response = await fetch(served().url(`${route}?hub.mode=subscribe&hub.challenge=1`));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      await response.arrayBuffer();
    }
  });

  if (handshake !== undefined) {
    it("answers the GET handshake with the challenge as plain text and emits its event", async () => {
      const response = await fetch(served().url(`${route}?${handshake!.valid}`));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await response.text()).toBe(handshake!.body);
      // the event is delivered after the answer (the handshake never waits on sinks, handlers or stores)
      await served().handler.drain();
      expect(served().sink.events.map((event) => [event.type, event.block_id])).toEqual([
        ["platform.webhook.verified", block.id],
      ]);
    });

    it("refuses a GET handshake with the wrong token and emits nothing", async () => {
      const response = await fetch(served().url(`${route}?${handshake!.invalid}`));
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(await response.text()).not.toBe(handshake!.body);
      await served().handler.drain();
      expect(served().sink.events).toEqual([]);
    });
  }

  if (adapter.accounts === undefined) {
    it("has no shared route: POST /webhooks/<platform> is 404", async () => {
      const response = await post(
        served().url(`/webhooks/${platform}`),
        first().body,
        signedHeaders(platform, first().body, block.secrets),
      );
      expect(response.status).toBe(404);
      expect(response.json()).toEqual({
        error: { code: "not_found", message: expect.stringContaining("no shared route") },
      });
    });
  }
});

describe("logs of this whole file", () => {
  it("were written, and never contain a secret, a verify token, a signature header value or a body", () => {
    expect(logger.lines.length).toBeGreaterThan(50);
    expectNoSecrets(logger.lines);
    const text = logger.lines.join("\n");
    expect(text).not.toContain("truncated");
    expect(text).not.toContain("not json at all");
    expect(text).not.toContain("hub.verify_token");
    expect(text).not.toContain("token=");
  });
});
