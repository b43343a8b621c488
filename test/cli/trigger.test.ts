import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { adapters } from "../../src/adapters";
import { convoticExpress, createConvotic, createRouter, createWebhookHandler, toFetchHandler } from "../../src";
import type { UnifiedEvent } from "../../src/core";
import { EVENT_TYPES } from "../../src/core";
import { fixturesIn, pickFixture, secretsFromOne } from "../../src/cli/trigger";
import { startBuiltServe, type BuiltServe } from "../support/built-serve";

/*
 * `convotic trigger`, the built binary in its own process, against the three ways an application receives: an
 * Express app, a fetch-style handler behind a node server, and `convotic serve`. The receiving side is the real
 * library, so a request that is not signed exactly as the platform signs it is refused there.
 */
const root = join(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const LINE_SECRET = "5f0c1b7d2e9a4c3b8d6e1f0a2b3c4d5e";
const META_SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
let cwd: string;

beforeAll(() => {
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  // no convotic.config.json here: trigger then signs with the bundled example config's secrets
  cwd = mkdtempSync(join(tmpdir(), "convotic-trigger-"));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function trigger(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, "trigger", ...args],
      { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
    );
  });
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

function receiver() {
  const received: UnifiedEvent[] = [];
  const router = createRouter().on("*", (event) => void received.push(event));
  const handler = createWebhookHandler({
    normalizer: createConvotic(),
    blocks: [
      { id: "line-app", platform: "line", workspace_id: "ws_1", secrets: { channel_secrets: [LINE_SECRET] } },
      { id: "wa-app", platform: "whatsapp", workspace_id: "ws_1", secrets: { app_secrets: [META_SECRET] } },
    ],
    router,
    // the refused signature below is expected: keep it out of the test output
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { received, handler };
}

describe("convotic trigger", () => {
  let server: Server | undefined;
  let serve: BuiltServe | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
    await serve?.stop();
    serve = undefined;
  });

  it("sends a LINE follow to an Express app, signed with --secret, and the app's router gets that type", async () => {
    const { received, handler } = receiver();
    const app = express();
    app.use(convoticExpress(handler));
    server = createServer(app);
    const origin = await listen(server);
    const out = await trigger([
      "messaging.follow",
      "--platform",
      "line",
      "--secret",
      LINE_SECRET,
      "--to",
      `${origin}/webhooks/line-app`,
    ]);
    expect(out.stderr).toMatch(/^messaging\.follow: POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/line-app \S+ -> 200/);
    expect(out).toMatchObject({ code: 0 });
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true });
    expect(received.map((event) => event.type)).toContain("messaging.follow");
  });

  it("sends a WhatsApp status to a fetch-style handler; a wrong secret is refused there and exits 1", async () => {
    const { received, handler } = receiver();
    const handle = toFetchHandler(handler);
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method!,
          headers: req.headers as Record<string, string>,
          body: Buffer.concat(chunks),
        });
        void handle(request).then(async (response) => {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        });
      });
    });
    const origin = await listen(server);
    const args = ["messaging.message.delivered", "--platform", "whatsapp", "--to", `${origin}/webhooks/wa-app`];
    const good = await trigger([...args, "--secret", META_SECRET]);
    expect(good.code).toBe(0);
    expect(received.map((event) => event.type)).toContain("messaging.message.delivered");
    const bad = await trigger([...args, "--secret", "ffffffffffffffffffffffffffffffff"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/-> 401/);
  });

  it("sends to convotic serve with the example config's block when given a bare origin", async () => {
    serve = await startBuiltServe(["--config", join(root, "examples", "convotic.config.json"), "--port", "0"]);
    const out = await trigger(["messaging.message.received", "--platform", "viber", "--to", serve.url]);
    expect(out.stderr).toContain(`POST ${serve.url}/webhooks/viber-demo`);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, events: 1 });
  });

  it("signs for the platforms that sign the URL or the query: Twilio over the block's public_url, WeChat in the query", async () => {
    serve = await startBuiltServe(["--config", join(root, "examples", "convotic.config.json"), "--port", "0"]);
    const twilio = await trigger(["messaging.message.delivered", "--platform", "twilio", "--to", serve.url]);
    expect([twilio.code, twilio.stderr]).toEqual([0, expect.stringMatching(/webhooks\/twilio-demo .*-> 200/)]);
    expect(twilio.stdout).toContain("<Response></Response>"); // Twilio's expected answer, not the JSON counts
    const wechat = await trigger(["messaging.follow", "--platform", "wechat", "--to", serve.url]);
    expect([wechat.code, wechat.stderr]).toEqual([
      0,
      expect.stringMatching(/webhooks\/wechat-demo\?\S*signature=.*-> 200/),
    ]);
    expect(wechat.stdout.trim()).toBe("success");
  });

  it("without --to prints a curl command that the real curl sends and the app accepts", async () => {
    const { received, handler } = receiver();
    const app = express();
    app.use(convoticExpress(handler));
    server = createServer(app);
    const origin = await listen(server);
    const out = await trigger(["messaging.follow", "--platform", "line", "--secret", LINE_SECRET, "--block", "x"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /^curl -sS -X POST 'http:\/\/127\.0\.0\.1:3000\/webhooks\/x' -H 'content-type: application\/json' -H 'x-line-signature: /,
    );
    const command = out.stdout.replace("http://127.0.0.1:3000/webhooks/x", `${origin}/webhooks/line-app`);
    const answer = await new Promise<string>((resolve, reject) =>
      execFile("sh", ["-c", command], (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(JSON.parse(answer)).toMatchObject({ ok: true });
    expect(received.map((event) => event.type)).toContain("messaging.follow");
  });

  it("refuses what it cannot do with exit 2 and one reason", async () => {
    const unknown = await trigger(["messaging.nope", "--platform", "line", "--secret", LINE_SECRET]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown event type "messaging.nope"');
    const none = await trigger(["crm.deal.created", "--platform", "telegram", "--secret", "tok"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /no telegram fixture produces crm\.deal\.created; they produce: .*messaging\.message\.received/,
    );
    const shape = await trigger(["messaging.follow", "--platform", "telegram", "--secret", "not a token!"]);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain("--secret is not a telegram secret");
    const noPath = await trigger([
      "messaging.follow",
      "--platform",
      "line",
      "--secret",
      LINE_SECRET,
      "--to",
      "http://127.0.0.1:9",
    ]);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain("--to has no path");
  });
});

describe("the pieces trigger is made of, over every platform", () => {
  it("every type a platform's goldens name is picked to a fixture that produces it, first where one exists", () => {
    for (const platform of Object.keys(adapters)) {
      const fixtures = fixturesIn(join(root, "fixtures", platform));
      expect(fixtures.length).toBeGreaterThan(0);
      const types = new Set(fixtures.flatMap((fixture) => fixture.types));
      for (const type of types) {
        const picked = pickFixture(fixtures, type)!;
        expect(picked.types).toContain(type);
        if (fixtures.some((fixture) => fixture.types[0] === type)) expect(picked.types[0]).toBe(type);
      }
      for (const type of EVENT_TYPES.filter((name) => !types.has(name)))
        expect(pickFixture(fixtures, type)).toBeUndefined();
    }
  });

  it("one --secret fills every platform's own secrets shape, read from its schema", () => {
    for (const adapter of Object.values(adapters)) {
      const secrets = secretsFromOne(adapter, "abcdefABCDEF0123456789abcdefABCD");
      expect(adapter.secrets.safeParse(secrets).success).toBe(true);
    }
  });
});
