import { spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { run } from "../../src/cli/main";
import { hmacOf } from "../support/adapter";

/*
 * `serve` loads adapters a config names, by path or package name, and serves their blocks like built-in ones.
 * The adapter here is plain CommonJS written the way a user would, against the built package's public API.
 */
const dir = join(__dirname, "..", "..", ".tmp", `custom-adapters-${process.pid}`);
const SECRET = "echo-test-secret";

const ADAPTER_SOURCE = `
const { z } = require("zod");
const { defineAdapter, EnvelopeBuilder, headerValue, hmac, matchesAnySecret, SignatureError } = require(${JSON.stringify(join(__dirname, "..", "..", "dist", "public", "adapters"))});
const Body = z.looseObject({ events: z.array(z.unknown()) });
const Item = z.looseObject({ id: z.string(), user: z.string(), at: z.number() });
exports.echo = defineAdapter({
  platform: "echo",
  payload: Body,
  secrets: z.strictObject({ secrets: z.array(z.string()).min(1) }),
  emits: ["messaging.follow"],
  verify(request, secrets) {
    const given = headerValue(request.headers, "x-echo-signature");
    if (given === undefined || !matchesAnySecret(secrets.secrets, given, (s) => hmac("sha256", s, request.rawBody, "hex"))) {
      throw new SignatureError("bad signature", { platform: "echo" });
    }
  },
  sign(rawBody, secrets) { return { "x-echo-signature": hmac("sha256", secrets.secrets[0], rawBody, "hex") }; },
  normalize(body, context) {
    const b = new EnvelopeBuilder("echo", context);
    for (const raw of body.events) {
      b.item(raw, { kind: "follow", schema: Item }, (item) => {
        b.mapper({ kind: "follow", raw: item, key: item.id, timestamp: item.at, metadata: { raw_platform_event_id: item.id } })
          .emit("messaging.follow", { contact_id: b.contactId(item.user), conversation_id: b.conversationId(item.user) });
      });
    }
    return b.result();
  },
});
`;

function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join("") };
}

jest.setTimeout(30_000);

beforeAll(() => {
  // the adapter file is plain JavaScript loaded by Node itself, against the built package (npm test builds first)
  mkdirSync(join(dir, "adapters"), { recursive: true });
  writeFileSync(join(dir, "adapters", "echo.js"), ADAPTER_SOURCE);
  writeFileSync(
    join(dir, "convotic.config.json"),
    JSON.stringify({
      adapters: ["./adapters/echo.js"],
      blocks: [{ id: "echo-1", platform: "echo", workspace_id: "ws_echo", secrets: { secrets: [SECRET] } }],
    }),
  );
  writeFileSync(join(dir, "missing.json"), JSON.stringify({ adapters: ["./adapters/nope.js"], blocks: [] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `serve` as users run it: the built CLI in its own process, loading the adapter with Node's own require. */
function spawnServe(config: string) {
  const child = spawn(
    process.execPath,
    [join(__dirname, "..", "..", "dist", "cli", "main.js"), "serve", "--config", config, "--port", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out, exited };
}

describe("serve with custom adapters", () => {
  it("loads an adapter by path and serves its blocks", async () => {
    const served = spawnServe(join(dir, "convotic.config.json"));
    let url: string | undefined;
    for (let i = 0; i < 1000 && url === undefined; i += 1) {
      url = /listening on (http:\/\/\S+)/.exec(served.out.stderr)?.[1];
      if (url === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(url).toBeDefined();
    const body = JSON.stringify({
      events: [{ id: "e1", user: "u1", at: 1767225600000 }, { id: 7 }, { id: "e3", user: "u3", at: 1767225600000 }],
    });
    const response = await fetch(`${url}/webhooks/echo-1`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-echo-signature": hmacOf("sha256", SECRET, body) },
      body,
    });
    expect(response.status).toBe(200);
    const unsigned = await fetch(`${url}/webhooks/echo-1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(unsigned.status).toBe(401);
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    const events = served.out.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as { platform: string; type: string });
    expect(events.map((event) => [event.platform, event.type])).toEqual([
      ["echo", "messaging.follow"],
      ["echo", "messaging.follow"],
    ]);
  });

  it("exits 1 with one line when an adapter module cannot be found", async () => {
    const stderr = capture();
    const code = await run(["serve", "--config", join(dir, "missing.json"), "--port", "0"], {
      stdin: new PassThrough(),
      stdout: capture().stream,
      stderr: stderr.stream,
      env: {},
      signals: new EventEmitter(),
    });
    expect(code).toBe(1);
    expect(stderr.text()).toMatch(/adapters: no file .*nope\.js/);
  });
});
