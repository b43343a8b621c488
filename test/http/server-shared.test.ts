import { createNormalizer, type VerifyRequest } from "../../src/core";
import {
  captureLogger,
  clock,
  expectNoSecrets,
  fixturesFor,
  handshakeFor,
  normalizer,
  post,
  secretsFor,
  serverPerSuite,
  serveTest,
  signedHeaders,
  testchat,
} from "./support";

/*
 * Shared routes against a real listening server (127.0.0.1, port 0) with real fetch: for every adapter with
 * `accounts`, plus the test-only `testchat` adapter for security and limits (split from server.test.ts, which
 * keeps the per-block routes of every platform).
 */
const logger = captureLogger();

const serve = (blocks: unknown[], options: { bodyLimit?: number } = {}) => serveTest({ blocks, logger, ...options });

const servedPerSuite = (blocks: () => unknown[]) => serverPerSuite(() => serve(blocks()));

/*
 * Shared routes, for adapters that split payloads per account: one block per account found in the fixtures,
 * all sharing one secrets object (one Meta app; for LINE each channel would have its own).
 */
const sharing = normalizer.platforms.filter((platform) => normalizer.adapterFor(platform).accounts !== undefined);

describe.each(sharing)("%s shared route", (platform) => {
  const adapter = normalizer.adapterFor(platform);
  const fixtures = fixturesFor(platform);
  const secrets = secretsFor(platform);
  const handshake = adapter.handshake === undefined ? undefined : handshakeFor(platform);
  const blockSecrets = secrets.valid;
  const slicesOf = (body: Uint8Array) => normalizer.accounts(platform, normalizer.parse(platform, body)) ?? [];
  const accountIds = [
    ...new Set(fixtures.flatMap((fixture) => slicesOf(fixture.body).map((slice) => slice.account_id))),
  ];
  const blocks = accountIds.map((account_id, index) => ({
    id: `acct-${index + 1}`,
    platform,
    workspace_id: `ws_${index + 1}`,
    account_id,
    secrets: blockSecrets,
  }));
  const blockOf = (accountId: string) => blocks.find((block) => block.account_id === accountId)!;
  const served = servedPerSuite(() => blocks);

  it("finds accounts in the fixtures", () => {
    expect(accountIds.length).toBeGreaterThan(0);
  });

  it("verifies once, splits every fixture per account and normalises each slice with its own block", async () => {
    for (const fixture of fixtures) {
      served().sink.reset();
      const response = await post(
        served().url(`/webhooks/${platform}`),
        fixture.body,
        signedHeaders(platform, fixture.body, blockSecrets),
      );
      const want = slicesOf(fixture.body).map((slice) =>
        normalizer.normalizePayload(platform, slice.payload, {
          workspace_id: blockOf(slice.account_id).workspace_id,
          block_id: blockOf(slice.account_id).id,
          received_at: clock(),
        }),
      );
      expect({ fixture: fixture.name, status: response.status }).toEqual({ fixture: fixture.name, status: 200 });
      await served().handler.drain();
      expect(served().sink.events).toEqual(want.flatMap((result) => result.events));
      expect(served().sink.unhandled).toEqual(want.flatMap((result) => result.unhandled));
    }
  });

  it("attributes each account of a multi-account batch to its own block", async () => {
    const batches = fixtures.filter(
      (fixture) => new Set(slicesOf(fixture.body).map((slice) => slice.account_id)).size > 1,
    );
    for (const fixture of batches) {
      served().sink.reset();
      await post(
        served().url(`/webhooks/${platform}`),
        fixture.body,
        signedHeaders(platform, fixture.body, blockSecrets),
      );
      const accounts = new Set(slicesOf(fixture.body).map((slice) => slice.account_id));
      const produced = new Set([...served().sink.events, ...served().sink.unhandled].map((item) => item.block_id));
      expect(produced).toEqual(new Set([...accounts].map((account) => blockOf(account).id)));
    }
    if (platform === "testchat") expect(batches.length).toBeGreaterThan(0);
  });

  it("rejects a request no configured secret verifies with 401", async () => {
    const body = fixtures[0]!.body;
    const response = await post(
      served().url(`/webhooks/${platform}`),
      body,
      signedHeaders(platform, body, secrets.wrong),
    );
    expect(response.status).toBe(401);
    expect(served().sink.events).toEqual([]);
  });

  it("acknowledges an account that has no block with 200, lists it as unrouted and logs it", async () => {
    const [unconfigured, ...rest] = blocks;
    const partial = await serve(rest);
    const fixture = fixtures.find((item) =>
      slicesOf(item.body).some((slice) => slice.account_id === unconfigured!.account_id),
    )!;
    const before = logger.lines.length;
    const response = await post(
      partial.url(`/webhooks/${platform}`),
      fixture.body,
      signedHeaders(platform, fixture.body, blockSecrets),
    );
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, unrouted: [unconfigured!.account_id] });
    expect(
      [...partial.sink.events, ...partial.sink.unhandled].filter((item) => item.block_id === unconfigured!.id),
    ).toEqual([]);
    expect(
      logger.lines.slice(before).some((entry) => entry.startsWith("warn") && entry.includes(unconfigured!.account_id)),
    ).toBe(true);
  });

  if (handshake !== undefined)
    it("answers the GET handshake on the shared route", async () => {
      const ok = await fetch(served().url(`/webhooks/${platform}?${handshake!.valid}`));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe(handshake!.body);
      await served().handler.drain();
      expect(served().sink.events.map((event) => event.type)).toEqual(["platform.webhook.verified"]);
      const refused = await fetch(served().url(`/webhooks/${platform}?${handshake!.invalid}`));
      expect(refused.status).toBe(403);
      await refused.arrayBuffer();
    });
});

describe("shared route security and limits (testchat)", () => {
  const [, batch] = fixturesFor("testchat");
  const secrets = secretsFor("testchat");

  it("serves each app on its own route and never hands a slice to a block of another app", async () => {
    // acct-100 belongs to app A, acct-200 to app B: a body signed by A that names acct-200 must not reach B
    const env = await serve([
      {
        id: "app-a-100",
        platform: "testchat",
        workspace_id: "ws_a",
        account_id: "acct-100",
        app: "a",
        secrets: secrets.valid,
      },
      {
        id: "app-b-200",
        platform: "testchat",
        workspace_id: "ws_b",
        account_id: "acct-200",
        app: "b",
        secrets: secrets.wrong,
      },
    ]);
    const forged = await post(
      env.url("/webhooks/testchat/a"),
      batch!.body,
      signedHeaders("testchat", batch!.body, secrets.valid),
    );
    expect(forged.status).toBe(401);
    expect(forged.json()).toEqual({
      error: { code: "invalid_signature", message: expect.stringContaining("acct-200") },
    });
    expect(env.sink.events).toEqual([]);

    const single = fixturesFor("testchat")[0]!.body;
    const fromB = await post(env.url("/webhooks/testchat/a"), single, signedHeaders("testchat", single, secrets.wrong));
    expect(fromB.status).toBe(401);
    const fromA = await post(env.url("/webhooks/testchat/a"), single, signedHeaders("testchat", single, secrets.valid));
    expect(fromA.status).toBe(200);
    expect(env.sink.events.map((event) => event.block_id)).toEqual(["app-a-100"]);
    const unnamed = await post(env.url("/webhooks/testchat"), single, signedHeaders("testchat", single, secrets.valid));
    expect(unnamed.json()).toEqual({
      error: { code: "not_found", message: "the testchat blocks name their app: POST to /webhooks/testchat/<app>" },
    });
  });

  it("verifies a shared-route request once, however many tenants are configured", async () => {
    let verifications = 0;
    const counting = {
      ...testchat,
      verify: (request: VerifyRequest, secrets: never) => (verifications++, testchat.verify(request, secrets)),
    };
    const counted = createNormalizer({ adapters: { testchat: counting } });
    const tenants = Array.from({ length: 200 }, (_, index) => ({
      id: `t${index}`,
      platform: "testchat",
      workspace_id: `ws_${index}`,
      account_id: `acct-${index}`,
      app: `app-${index % 2 === 0 ? "even" : "odd"}`,
      secrets: { secret: `tenant-secret-${index % 2}` },
    }));
    const env = await serveTest({ normalizer: counted, blocks: tenants, logger });
    const body = fixturesFor("testchat")[0]!.body;
    const forged = await post(
      env.url("/webhooks/testchat/app-even"),
      body,
      signedHeaders("testchat", body, secrets.wrong),
    );
    expect([forged.status, verifications]).toEqual([401, 1]);
    const sent = await post(
      env.url("/webhooks/testchat/app-even"),
      body,
      signedHeaders("testchat", body, { secret: "tenant-secret-0" }),
    );
    expect([sent.status, verifications]).toEqual([200, 2]);
    expect(env.sink.events.map((event) => event.block_id)).toEqual(["t100"]);
  });

  it("a per-block route of a platform with accounts attributes the whole body to that block", async () => {
    const env = await serve([
      { id: "only", platform: "testchat", workspace_id: "ws", account_id: "acct-100", secrets: secrets.valid },
    ]);
    const response = await post(
      env.url("/webhooks/only"),
      batch!.body,
      signedHeaders("testchat", batch!.body, secrets.valid),
    );
    expect(response.json()).toEqual({ ok: true, events: 3, unhandled: 1 });
    expect(new Set(env.sink.events.map((event) => event.block_id))).toEqual(new Set(["only"]));
  });

  it("404s a shared route when no block of the platform names an account", async () => {
    const env = await serve([{ id: "no-account", platform: "testchat", workspace_id: "ws", secrets: secrets.valid }]);
    const response = await post(
      env.url("/webhooks/testchat"),
      batch!.body,
      signedHeaders("testchat", batch!.body, secrets.valid),
    );
    expect(response.status).toBe(404);
    expect(response.json()).toEqual({
      error: { code: "not_found", message: "no testchat block is configured with an account_id" },
    });
  });

  it("honours a configured body limit, counting bytes not characters", async () => {
    const env = await serve([{ id: "small", platform: "testchat", workspace_id: "ws", secrets: secrets.valid }], {
      bodyLimit: 64,
    });
    const fits = Buffer.from(JSON.stringify({ object: "testchat", entry: [], pad: "é".repeat(10) }));
    expect(fits.length).toBeLessThanOrEqual(64);
    expect((await post(env.url("/webhooks/small"), fits, signedHeaders("testchat", fits, secrets.valid))).status).toBe(
      200,
    );
    const over = Buffer.from(JSON.stringify({ object: "testchat", entry: [], pad: "é".repeat(20) }));
    expect(over.length).toBeGreaterThan(64);
    expect((await post(env.url("/webhooks/small"), over, signedHeaders("testchat", over, secrets.valid))).status).toBe(
      413,
    );
  });
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
