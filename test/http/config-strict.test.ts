import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/core";
import { loadConfig } from "../../src/cli/server-config";
import { runBuiltServe, startBuiltServe, until } from "../support/built-serve";
import { normalizer } from "./support";

/*
 * Issue 23: a config never means something other than it says. Each point is checked with `loadConfig` and then
 * with the built CLI (`node dist/cli/main.js serve`, run `npm run build` first) in a real process.
 */
const dir = mkdtempSync(join(tmpdir(), "convotic-strict-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function writeConfig(config: unknown): string {
  const path = join(dir, `config-${(files += 1)}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const META_SECRET = "4f1c0d2e9a8b7c6d5e4f3a2b1c0d9e8f";
const messenger = (appSecret: string) => ({
  id: "fb-1",
  platform: "messenger",
  workspace_id: "ws",
  secrets: { app_secrets: [appSecret] },
});
const messengerBody = JSON.stringify({
  object: "page",
  entry: [
    {
      id: "1",
      time: 1750100000000,
      messaging: [
        { sender: { id: "2" }, recipient: { id: "1" }, timestamp: 1750100000000, message: { mid: "m.1", text: "hi" } },
      ],
    },
  ],
});
const signed = (secret: string, body: string) => ({
  "content-type": "application/json",
  "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
});

function refused(config: unknown, env: Record<string, string> = {}): ConfigError {
  try {
    loadConfig(config, { normalizer, env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("strict references", () => {
  const env = { X: "x-value-secret-1234567890", U: "" };
  it.each([
    "${META-APP-SECRET}",
    "$X",
    "${X",
    "${ X }",
    "${U:-${X}}",
    "${X:=y}",
    "${U-y}",
    "prefix $",
    "${}",
    "${1X}",
    "$ {X}",
  ])("refuses %s, naming the field and never the value", (reference) => {
    const error = refused(
      { blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: reference } }] },
      env,
    );
    expect(error.message).toContain('block "tg": secrets.secret_token has a malformed reference');
    expect(error.message).toContain("$$ for a literal $");
    expect(error.message).not.toContain(reference);
    expect(error.message).not.toContain(env.X);
  });

  it("reads $$ as a literal dollar, so $${X} is the text ${X}, and resolves well-formed references around it", () => {
    const config = loadConfig(
      {
        blocks: [
          {
            id: "tg",
            platform: "telegram",
            workspace_id: "a$$b$${X}-${X}-${U:-dflt}",
            secrets: { secret_token: "tok_${X}" },
          },
        ],
      },
      { normalizer, env: { X: "xv", U: "" } },
    );
    expect(config.blocks.byId("tg")!.workspace_id).toBe("a$b${X}-xv-dflt");
  });

  it("checks references in sinks and idempotency too", () => {
    const blocks = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: "tok" } }];
    expect(refused({ blocks, sinks: [{ kind: "file", path: "/tmp/${OUT" }] }).message).toBe(
      "sinks: sinks[0].path has a malformed reference (write ${NAME}, ${NAME:-default}, or $$ for a literal $)",
    );
    expect(refused({ blocks, idempotency: { store: "redis", url: "$REDIS_URL" } }).message).toContain(
      "idempotency: idempotency.url has a malformed reference",
    );
  });

  it("the built serve refuses a malformed reference (exit 1, the field named) instead of accepting requests signed with its literal text", async () => {
    const literal = "${META-APP-SECRET}";
    const config = writeConfig({ blocks: [messenger(literal)] });
    const run = await runBuiltServe(["--config", config, "--port", "0"], { "META-APP-SECRET": META_SECRET });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/config-\d+\.json: block "fb-1": secrets\.app_secrets\[0\] has a malformed reference/);
    expect(run.stderr).not.toContain(META_SECRET);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  }, 15_000);
});

describe("secret lengths", () => {
  it.each([
    ["messenger", { app_secrets: ["short-secret"] }, "secrets.app_secrets[0] is shorter than 16 characters"],
    ["whatsapp", { app_secrets: [META_SECRET, "abc"] }, "secrets.app_secrets[1] is shorter than 16 characters"],
    ["instagram", { app_secrets: ["x"] }, "secrets.app_secrets[0] is shorter than 16 characters"],
    ["line", { channel_secrets: ["0123456789abcde"] }, "secrets.channel_secrets[0] is shorter than 16 characters"],
    ["viber", { auth_tokens: ["token"] }, "secrets.auth_tokens[0] is shorter than 16 characters"],
  ])("refuses a %s secret below the minimum", (platform, secrets, message) => {
    const error = refused({ blocks: [{ id: "b", platform, workspace_id: "ws", secrets }] });
    expect(error.message).toContain(message);
    for (const value of Object.values(secrets).flat()) expect(error.message).not.toContain(`"${value}"`);
  });

  it("loads secrets of the platforms' real lengths, Telegram's own 1-256 rule, and the example config", () => {
    const blocks = [
      { id: "fb", platform: "messenger", workspace_id: "ws", secrets: { app_secrets: [META_SECRET] } },
      {
        id: "ln",
        platform: "line",
        workspace_id: "ws",
        secrets: { channel_secrets: ["8c570fa6dd201bb328f1c1eac23a96d8"] },
      },
      {
        id: "vb",
        platform: "viber",
        workspace_id: "ws",
        secrets: { auth_tokens: ["445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9"] },
      },
      { id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: "a" } },
    ];
    expect(loadConfig({ blocks }, { normalizer }).blocks.all).toHaveLength(4);
    const example = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "examples", "convotic.config.json"), "utf8"),
    ) as unknown;
    expect(loadConfig(example, { normalizer, env: {} }).blocks.all).toHaveLength(8);
  });
});

describe("the example config's development secrets", () => {
  const example = join(__dirname, "..", "..", "examples", "convotic.config.json");

  it("make serve warn loudly on a non-loopback address, naming the fields, never the values", async () => {
    const served = await startBuiltServe(["--config", example, "--port", "0", "--host", "0.0.0.0"]);
    try {
      const warnings = await until(() => {
        const lines = served
          .stderr()
          .split("\n")
          .filter((line) => line.includes("DEVELOPMENT SECRETS"));
        return lines.length === 8 ? lines : undefined;
      }, "eight warnings");
      expect(warnings[0]).toMatch(
        / error DEVELOPMENT SECRETS on a non-loopback address: block tg-demo .*secrets\.secret_token/,
      );
      expect(warnings.find((line) => line.includes("block instagram-demo"))).toContain(
        "secrets.app_secrets[0], secrets.app_secrets[1], secrets.verify_token",
      );
      expect(served.stderr()).not.toContain("dev-meta-app-secret");
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }, 15_000);

  it("say nothing on loopback, or once the environment sets real secrets", async () => {
    const local = await startBuiltServe(["--config", example, "--port", "0"]);
    expect(await local.stop()).toBe(0);
    expect(local.stderr()).not.toContain("DEVELOPMENT SECRETS");
    const env = {
      TELEGRAM_SECRET_TOKEN: "prod_token_2b9f",
      LINE_CHANNEL_SECRET: "8c570fa6dd201bb328f1c1eac23a96d8",
      META_APP_SECRET: META_SECRET,
      META_VERIFY_TOKEN: "prod-verify",
      INSTAGRAM_APP_SECRET: META_SECRET.split("").reverse().join(""),
      VIBER_AUTH_TOKEN: "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9",
      WECHAT_TOKEN: "prodWechatToken7",
      TWILIO_AUTH_TOKEN: "7f2c9e41d8a35b06e1c4f9a2b7d30e58",
    };
    const deployed = await startBuiltServe(["--config", example, "--port", "0", "--host", "0.0.0.0"], env);
    expect(await deployed.stop()).toBe(0);
    expect(deployed.stderr()).not.toContain("DEVELOPMENT SECRETS");
  }, 20_000);
});

describe("no credentials in URLs", () => {
  const blocks = [messenger(META_SECRET)];

  it("refuses user:password@ in a webhook sink URL and says to send a header from the environment", async () => {
    const config = writeConfig({
      blocks,
      sinks: [
        {
          kind: "webhook",
          name: "crm",
          url: "http://user:PASSWORD@127.0.0.1:9/hook",
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          dead_letter: join(dir, "dl.jsonl"),
        },
      ],
    });
    const run = await runBuiltServe(["--config", config, "--port", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("sinks: 0.url: credentials in the URL are refused");
    expect(run.stderr).toContain('"headers": { "authorization": "${HOOK_AUTH}" }');
    expect(run.stderr).not.toContain("PASSWORD");
  }, 15_000);

  it("refuses credentials in a NATS server URL (token or user and password are options) and in a Redis URL written in the file", () => {
    const nats = refused({
      blocks,
      sinks: [
        {
          kind: "jetstream",
          servers: ["nats://127.0.0.1:4222", "nats://me:s3cr3tpw@127.0.0.1:4223"],
          stream: { name: "S" },
        },
      ],
    });
    expect(nats.message).toContain("sinks: 0.servers.1: credentials in the URL are refused");
    expect(nats.message).not.toContain("s3cr3tpw");
    expect(
      refused({ blocks, sinks: [{ kind: "jetstream", servers: "nats://TOKEN@127.0.0.1:4222", stream: { name: "S" } }] })
        .message,
    ).toContain('"token": "${NATS_TOKEN}"');
    const redis = refused({ blocks, idempotency: { store: "redis", url: "redis://:s3cr3tpw@127.0.0.1:6379/0" } });
    expect(redis.message).toContain('put the whole URL in the environment: "url": "${REDIS_URL}"');
    expect(redis.message).not.toContain("s3cr3tpw");
    // the client's own convention stays available from the environment
    const fromEnv = loadConfig(
      { blocks, idempotency: { store: "redis", url: "${REDIS_URL}" } },
      { normalizer, env: { REDIS_URL: "redis://:PASSWORD@127.0.0.1:6379/0" } },
    );
    expect(fromEnv.idempotency).toMatchObject({ store: "redis" });
  });

  it("sends the webhook sink's headers from environment references, and never writes them to dead letters or logs", async () => {
    const seen: IncomingHttpHeaders[] = [];
    // the subscriber refuses for good (400): the delivery goes straight to the dead-letter file
    const receiver = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on("end", () => response.writeHead(400).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const deadLetters = join(dir, "headers.dead.jsonl");
    const hookAuth = "Bearer hook-credential-7Qx2";
    const config = writeConfig({
      blocks,
      sinks: [
        {
          kind: "webhook",
          name: "crm",
          url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          headers: { authorization: "${HOOK_AUTH}", "x-tenant": "t-1" },
          dead_letter: deadLetters,
        },
      ],
    });
    const served = await startBuiltServe(["--config", config, "--port", "0", "--log-level", "debug"], {
      HOOK_AUTH: hookAuth,
    });
    try {
      const answer = await fetch(`${served.url}/webhooks/fb-1`, {
        method: "POST",
        headers: signed(META_SECRET, messengerBody),
        body: messengerBody,
      });
      expect(answer.status).toBe(200);
      await until(() => (seen.length > 0 ? true : undefined), "the delivery");
      expect(seen[0]).toMatchObject({ authorization: hookAuth, "x-tenant": "t-1", "webhook-id": expect.any(String) });
      const record = await until(() => {
        try {
          return readFileSync(deadLetters, "utf8") || undefined;
        } catch {
          return undefined;
        }
      }, "the dead letter");
      expect(record).toContain('"sink":"crm"');
      expect(record).not.toContain("hook-credential");
    } finally {
      await served.stop();
      receiver.close();
    }
    expect(served.stderr()).not.toContain("hook-credential");
  }, 15_000);

  it("refuses a header the sink sets itself", () => {
    const error = refused({
      blocks,
      sinks: [
        {
          kind: "webhook",
          name: "crm",
          url: "http://127.0.0.1:9/hook",
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          headers: { "Webhook-Signature": "v1,x" },
          dead_letter: "dl",
        },
      ],
    });
    expect(error.message).toContain("0.headers.Webhook-Signature: a header the sink sets itself");
    // fetch would refuse it with an error quoting the value, and errors reach the dead letters
    const odd = refused({
      blocks,
      sinks: [
        {
          kind: "webhook",
          name: "crm",
          url: "http://127.0.0.1:9/hook",
          secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
          headers: { authorization: "Bearer 50€-token\r\nx: y" },
          dead_letter: "dl",
        },
      ],
    });
    expect(odd.message).toContain("0.headers.authorization: printable ASCII on one line");
    expect(odd.message).not.toContain("50€");
  });
});
