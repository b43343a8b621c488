import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRouter } from "../../src/core";
import { RedisStore, type IdempotencyStore } from "../../src/delivery";
import { fixturesOf } from "../support/fixtures";
import { closedPort } from "../support/ports";
import { captureLogger, handshakeFor, post, secretsFor, serveTest, signedHeaders } from "./support";

/*
 * Issue 23: a handshake answers from the block's configuration alone. Meta's GET subscription handshake answered
 * 500 while a `*` handler hung and 503 while Redis was down, because its `platform.webhook.verified` event was
 * delivered (store claim, sinks, handlers) before the answer. Now the answer goes first and the event follows.
 */
const secrets = secretsFor("messenger").valid;
const handshake = handshakeFor("messenger");
const blocks = [{ id: "page", platform: "messenger", workspace_id: "ws", account_id: "112233445566778", secrets }];
const never = () => new Promise<never>(() => undefined);

/** A store that never answers, or refuses every call. */
function brokenStore(mode: "hangs" | "fails"): IdempotencyStore {
  const act = () => (mode === "hangs" ? never() : Promise.reject(new Error("store down")));
  return {
    kind: `broken-${mode}`,
    claim: act,
    commit: act,
    release: act,
    stats: () => ({ kind: `broken-${mode}` }),
    close: async () => undefined,
  };
}

async function timedGet(url: string): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  return { status: response.status, body, ms: performance.now() - started };
}

describe("the GET handshake, whatever handlers and stores are doing", () => {
  it.each(["hangs", "fails"] as const)(
    "answers 200 with the challenge at once while a * handler hangs and the store %s",
    async (mode) => {
      const logger = captureLogger();
      const router = createRouter().on("*", never);
      const env = await serveTest({ blocks, logger, router, idempotency: brokenStore(mode), deadlines: 2_000 });
      for (const route of ["/webhooks/page", "/webhooks/messenger"]) {
        const answer = await timedGet(env.url(`${route}?${handshake.valid}`));
        expect(answer).toEqual({ status: 200, body: handshake.body, ms: expect.any(Number) });
        // the delivery deadline is 2 s: an answer that waited for it would take at least that
        expect(answer.ms).toBeLessThan(1_000);
      }
      // a wrong token is still refused, from the configuration alone
      expect((await timedGet(env.url(`/webhooks/page?${handshake.invalid}`))).status).toBe(403);
      // the event still goes through the delivery step after the answer: a failing store fails it there, logged
      // (a store that never answers holds it in the background: RedisStore bounds its own commands)
      if (mode === "fails") {
        expect(await env.handler.drain(AbortSignal.timeout(5_000))).toBe(0);
        expect(logger.lines.some((line) => line.startsWith("error background processing failed"))).toBe(true);
      }
    },
  );

  it("answers 200 while the Redis store cannot connect (library)", async () => {
    const port = await closedPort();
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 2_000 });
    const env = await serveTest({ blocks, logger: captureLogger(), idempotency: store });
    try {
      const answer = await timedGet(env.url(`/webhooks/page?${handshake.valid}`));
      expect([answer.status, answer.body]).toEqual([200, handshake.body]);
      // the store's commands time out after 2 s: an answer that waited for them would take that long
      expect(answer.ms).toBeLessThan(1_000);
      await env.handler.drain(AbortSignal.timeout(3_000));
    } finally {
      await store.close();
    }
  });
});

describe("POST verifications (LINE's Verify button, Viber's set_webhook callback)", () => {
  it.each([
    ["line", "verify-request"],
    ["viber", "webhook"],
  ])(
    "%s %s is answered 200 at once while a * handler hangs and the store fails; other bodies still wait",
    async (platform, name) => {
      const platformSecrets = secretsFor(platform).valid;
      const logger = captureLogger();
      const router = createRouter().on("*", never);
      const env = await serveTest({
        blocks: [{ id: "b", platform, workspace_id: "ws", secrets: platformSecrets }],
        logger,
        router,
        idempotency: brokenStore("fails"),
        deadlines: 2_000,
      });
      const body = fixturesOf(platform).find((fixture) => fixture.name === name)!.body;
      const started = performance.now();
      const response = await post(env.url("/webhooks/b"), body, signedHeaders(platform, body, platformSecrets));
      expect(performance.now() - started).toBeLessThan(1_000);
      expect([response.status, response.json()]).toEqual([200, { ok: true, events: 1, unhandled: 0 }]);
      expect(await env.handler.drain(AbortSignal.timeout(5_000))).toBe(0);
      expect(logger.lines.some((line) => line.startsWith("error background processing failed"))).toBe(true);
      // a body with real events still waits for its delivery, and the failing store makes it a 503 to retry
      const other = fixturesOf(platform).find(
        (fixture) => fixture.name !== name && !fixture.name.includes("verify") && fixture.name !== "webhook",
      )!.body;
      expect(
        (await post(env.url("/webhooks/b"), other, signedHeaders(platform, other, platformSecrets))).status,
      ).toBeGreaterThanOrEqual(500);
    },
  );
});

describe("convotic serve (the built CLI) with Redis down", () => {
  const cli = join(__dirname, "../../dist/cli/main.js");
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), "convotic-handshake-"));

  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers Meta's handshake 200 with the challenge, promptly", async () => {
    if (!existsSync(cli)) throw new Error("dist/cli/main.js is missing: run `npm run build` first (npm test does)");
    const port = await closedPort();
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({ idempotency: { store: "redis", url: `redis://127.0.0.1:${port}` }, blocks }),
    );
    child = spawn(process.execPath, [cli, "serve", "--config", config, "--port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const deadline = Date.now() + 10_000;
    let url: string | undefined;
    while (url === undefined) {
      if (Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`);
      url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // the store is down: a POST cannot be deduplicated and is answered 503, the handshake does not care
    const answer = await timedGet(`${url}/webhooks/page?${handshake.valid}`);
    expect([answer.status, answer.body]).toEqual([200, handshake.body]);
    expect(answer.ms).toBeLessThan(1_000);
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    await exited;
  }, 20_000);
});
