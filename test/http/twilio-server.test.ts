import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { EMPTY_TWIML, twilio } from "../../src/adapters/twilio";
import { convoticExpress, DEFAULT_BODY_LIMIT, toFetchHandler } from "../../src/http";
import { fixturesOf } from "../support/fixtures";
import { TEST_SECRETS } from "../support/secrets";
import { captureLogger, expectNoSecrets, expected, post, serveTest, testHandler } from "./support";

/*
 * Twilio through the real shims: a listening node:http server, the fetch shim and an Express app. Its bodies are
 * forms, its signature covers the public URL (the block's public_url plus the query received, not the server's
 * own 127.0.0.1 address), and its answer is empty TwiML as text/xml. The JSON-shaped per-platform suites
 * (server, fetch, Express) do not run for it; this one does the same checks in Twilio's terms.
 */
const FORM = "application/x-www-form-urlencoded";
const PUBLIC = "https://hooks.example.com/twilio";
const secrets = TEST_SECRETS["twilio"]!.valid as { auth_tokens: string[] };
const wrong = TEST_SECRETS["twilio"]!.wrong as { auth_tokens: string[] };
const fixtures = fixturesOf("twilio");
const block = { id: "tw_http", platform: "twilio", workspace_id: "ws_http", public_url: PUBLIC, secrets };
const logger = captureLogger();
const signed = (body: Uint8Array, query = "", tokens = secrets): Record<string, string> => ({
  "content-type": FORM,
  ...twilio.sign(body, tokens, { url: PUBLIC + query }),
});

let served: Awaited<ReturnType<typeof serveTest>>;
beforeAll(async () => {
  served = await serveTest({ blocks: [block], logger });
});
beforeEach(() => served.sink.reset());

describe("twilio over a real server", () => {
  const route = "/webhooks/tw_http";

  it("accepts every fixture signed for the public URL, answers empty TwiML, and emits what the pipeline emits", async () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(14);
    for (const fixture of fixtures) {
      served.sink.reset();
      const response = await post(
        served.url(`${route}?tenant=acme`),
        fixture.body,
        signed(fixture.body, "?tenant=acme"),
      );
      expect({ fixture: fixture.name, status: response.status }).toEqual({ fixture: fixture.name, status: 200 });
      expect(response.headers.get("content-type")).toBe("text/xml");
      expect(response.text).toBe(EMPTY_TWIML);
      await served.handler.drain();
      const want = expected("twilio", fixture.body, block);
      expect(served.sink.events).toEqual(want.events);
      expect(served.sink.unhandled).toEqual(want.unhandled);
    }
  }, 30_000);

  it("refuses with a JSON error: no signature, a wrong token, the server's own URL, another query, a changed byte", async () => {
    const body = fixtures[0]!.body;
    const changed = Buffer.from(body);
    changed[changed.length >> 1] = changed[changed.length >> 1]! ^ 0x01;
    const cases: [string, Uint8Array, Record<string, string>, string][] = [
      ["no signature", body, { "content-type": FORM }, route],
      ["a wrong token", body, signed(body, "", wrong), route],
      [
        "the server's own URL",
        body,
        { "content-type": FORM, ...twilio.sign(body, secrets, { url: served.url(route) }) },
        route,
      ],
      ["another query", body, signed(body, "?tenant=acme"), `${route}?tenant=other`],
      ["a changed byte", changed, signed(body), route],
    ];
    for (const [what, bytes, headers, path] of cases) {
      const response = await post(served.url(path), bytes, headers);
      expect({ what, status: response.status }).toEqual({ what, status: 401 });
      expect(response.json()).toMatchObject({ error: { code: "invalid_signature" } });
    }
    await served.handler.drain();
    expect(served.sink.events).toEqual([]);
  });

  it("answers 415 to content types other than a form or JSON, 413 past the limit, 405 to GET", async () => {
    const body = fixtures[0]!.body;
    for (const type of ["text/plain", "application/xml", "multipart/form-data"]) {
      const response = await post(served.url(route), body, { ...signed(body), "content-type": type });
      expect({ type, status: response.status }).toEqual({ type, status: 415 });
    }
    const big = Buffer.from(`MessageSid=SM1&Body=${"a".repeat(DEFAULT_BODY_LIMIT)}`);
    expect((await post(served.url(route), big, signed(big))).status).toBe(413);
    const get = await fetch(served.url(`${route}?MessageSid=SM1`));
    expect(get.status).toBe(405);
  });

  it("answers 400 to a signed form that is not a Twilio callback, and logs no token or signature", async () => {
    const body = Buffer.from("hello=world");
    const response = await post(served.url(route), body, signed(body));
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: "invalid_payload" } });
    expectNoSecrets(logger.lines);
    expect(logger.lines.join("\n")).not.toContain(signed(body)["x-twilio-signature"]);
  });
});

describe("twilio through the fetch shim and Express", () => {
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
  const handler = testHandler({ blocks: [block], logger, sink: () => undefined });

  it("fetch: a Request for the public URL's path is verified against public_url and answered TwiML", async () => {
    const fixture = fixtures.find((item) => item.name === "whatsapp-text-profile")!;
    const response = await toFetchHandler(handler)(
      new Request("http://10.0.0.5:3000/webhooks/tw_http?tenant=acme", {
        method: "POST",
        headers: signed(fixture.body, "?tenant=acme"),
        body: new Uint8Array(fixture.body),
      }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(EMPTY_TWIML);
  });

  it("Express: works beside express.urlencoded() on other routes; in front of ours it is the clear body_already_parsed", async () => {
    const app = express();
    app.use("/forms", express.urlencoded({ extended: false }));
    app.post("/forms/echo", (req, res) => void res.json(req.body as unknown));
    app.post(
      "/parsed/webhooks/:id",
      express.urlencoded({ extended: false }),
      convoticExpress(testHandler({ blocks: [block], logger, basePath: "/parsed/webhooks" })),
    );
    app.use(convoticExpress(handler));
    const server = await new Promise<Server>((resolve) => {
      const started = app.listen(0, "127.0.0.1", () => resolve(started));
    });
    servers.push(server);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = fixtures[0]!.body;
    const ours = await post(`${base}/webhooks/tw_http`, body, signed(body));
    expect(ours.status).toBe(200);
    expect(ours.text).toBe(EMPTY_TWIML);
    const echo = await post(`${base}/forms/echo`, "a=1", { "content-type": FORM });
    expect(echo.json()).toEqual({ a: "1" });
    const parsed = await post(`${base}/parsed/webhooks/tw_http`, body, signed(body));
    expect(parsed.status).toBe(500);
    expect(parsed.json()).toMatchObject({ error: { code: "body_already_parsed" } });
  });
});
