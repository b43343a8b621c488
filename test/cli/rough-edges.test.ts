import { execFile, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { COMMANDS } from "../../src/cli/commands";
import { startBuiltServe } from "../support/built-serve";

/*
 * Issue 25's "rough edges a new user hit", each as the user met it: the built binary in its own process.
 * (1, 6 and 7 are in test/package/, where the packed tarball and npm run.)
 */
const root = join(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
let dir: string;
jest.setTimeout(60_000);

function cli(args: string[], env: Record<string, string> = {}, cwd = dir) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr }),
    );
  });
}

/** A custom platform written as a user writes one: CommonJS against the built public entry point. */
const ADAPTER = `
const { z } = require("zod");
const { defineAdapter, EnvelopeBuilder, hmacHeaderAuth } = require(${JSON.stringify(join(root, "dist", "public", "adapters"))});
const Item = z.looseObject({ id: z.string(), user: z.string(), at: z.number() });
const Secrets = z.strictObject({ secrets: z.array(z.string().min(1)).min(1) });
exports.acme = defineAdapter({
  platform: "acme",
  payload: z.looseObject({ events: z.array(z.unknown()) }),
  secrets: Secrets,
  emits: ["messaging.follow"],
  ...hmacHeaderAuth({ platform: "acme", header: "x-acme-signature", algorithm: "sha256", encoding: "hex" }, (s) => s.secrets),
  normalize(body, context) {
    const b = new EnvelopeBuilder("acme", context);
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
const BODY = JSON.stringify({ events: [{ id: "e1", user: "u1", at: 1767225600000 }] });

beforeAll(() => {
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  // under the repository, so the adapter's require("zod") resolves from its node_modules as a user's would
  mkdirSync(join(root, ".tmp"), { recursive: true });
  dir = mkdtempSync(join(root, ".tmp", "rough-edges-"));
  mkdirSync(join(dir, "fixtures", "acme"), { recursive: true });
  writeFileSync(join(dir, "acme.js"), ADAPTER);
  writeFileSync(join(dir, "fixtures", "acme", "follow.json"), BODY);
  writeFileSync(
    join(dir, "convotic.config.json"),
    JSON.stringify({
      adapters: ["./acme.js"],
      sinks: [
        { kind: "webhook", name: "crm", url: "http://127.0.0.1:9/x", secrets: ["${CRM_WHSEC}"], dead_letter: "dl" },
      ],
      blocks: [{ id: "acme-1", platform: "acme", workspace_id: "ws_1", secrets: { secrets: ["${ACME_SECRET}"] } }],
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("2. replay DIR reviews custom adapters' fixtures with --config", () => {
  it("writes and then checks the golden of a custom platform's fixture, by folder name and by --platform", async () => {
    const before = await cli(["replay", "fixtures"]);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('no platform "acme"');
    const update = await cli(["replay", "fixtures", "--config", "convotic.config.json", "--update"]);
    expect(update.stderr).toContain("files 1, equal 0, changed 0, new 1, failed 0");
    expect(update.code).toBe(0);
    const golden = JSON.parse(readFileSync(join(dir, "fixtures", "acme", "follow.golden.json"), "utf8")) as {
      events: { type: string; block_id: string }[];
    };
    expect(golden.events.map((event) => [event.type, event.block_id])).toEqual([["messaging.follow", "blk_acme_test"]]);
    const again = await cli([
      "replay",
      join("fixtures", "acme", "follow.json"),
      "--platform",
      "acme",
      "-c",
      "convotic.config.json",
    ]);
    expect(again.stderr).toContain("files 1, equal 1");
    expect(again.code).toBe(0);
  });
});

describe("3. replay --to needs only the blocks' ${VAR}s, not the sinks' secrets", () => {
  let server: Server;
  let received: { url: string; signature: string | undefined }[];
  beforeAll(async () => {
    received = [];
    server = createServer((req: IncomingMessage, res) => {
      received.push({ url: req.url!, signature: req.headers["x-acme-signature"] as string | undefined });
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("sends with CRM_WHSEC unset, and still names an unset block secret", async () => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sent = await cli(["replay", "fixtures/acme", "--to", origin], { ACME_SECRET: "acme-secret-123" });
    expect(sent.stderr).toContain("sent 1, accepted 1, rejected 0");
    expect(sent.code).toBe(0);
    expect(received).toEqual([{ url: "/webhooks/acme-1", signature: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const unset = await cli(["replay", "fixtures/acme", "--to", origin]);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("references ${ACME_SECRET}, which is not set");
  });

  it("trigger plugs a custom adapter in the same way: the config's adapter signs, --fixtures has its bodies", async () => {
    const out = await cli(["trigger", "messaging.follow", "--platform", "acme", "--fixtures", "fixtures"], {
      ACME_SECRET: "acme-secret-123",
    });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /^curl .*'http:\/\/127\.0\.0\.1:3000\/webhooks\/acme-1' .*-H 'x-acme-signature: [0-9a-f]{64}'/,
    );
  });
});

describe("8. help, exit codes and one default context", () => {
  it("every --help lists exit code 3, and convotic --help gives every summary whole", async () => {
    for (const command of Object.keys(COMMANDS)) {
      const out = await cli([command, "--help"]);
      expect(out.stdout).toContain("3 serve stopped abnormally");
    }
    const overview = await cli(["--help"]);
    for (const command of Object.values(COMMANDS))
      for (const text of command.summary.split("\n")) expect(overview.stdout).toContain(`      ${text}\n`);
  });

  it("normalize, demo and replay give one fixture the same workspace, block and ids", async () => {
    const fixture = join(root, "fixtures", "telegram", "message-text-private.json");
    const at = "2026-11-22T12:00:00.000Z";
    const normalized = JSON.parse(
      (await cli(["normalize", "-p", "telegram", "--received-at", at, fixture])).stdout,
    ) as {
      id: string;
    }[];
    const demo = (await cli(["demo", "--platform", "telegram", "--received-at", at])).stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as { id: string; workspace_id: string; block_id: string });
    const golden = JSON.parse(readFileSync(fixture.replace(".json", ".golden.json"), "utf8")) as { events: unknown[] };
    expect(normalized).toEqual(golden.events);
    expect(demo).toEqual(expect.arrayContaining(normalized));
    expect(new Set(demo.map((event) => `${event.workspace_id} ${event.block_id}`))).toEqual(
      new Set(["ws_test blk_telegram_test"]),
    );
  });
});

describe("10. serve honours HOST", () => {
  it("listens on HOST when --host is not given, and --host still wins", async () => {
    const config = join(root, "examples", "convotic.config.json");
    const fromEnv = await startBuiltServe(["--config", config, "--port", "0"], { HOST: "127.0.0.2" });
    try {
      expect(fromEnv.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      expect((await fetch(`${fromEnv.url}/healthz`)).status).toBe(200);
    } finally {
      await fromEnv.stop();
    }
    const flag = await startBuiltServe(["--config", config, "--port", "0", "--host", "127.0.0.1"], {
      HOST: "127.0.0.2",
    });
    try {
      expect(flag.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await flag.stop();
    }
  });
});

describe("9. npx convotic serve stops when its npx is sent SIGTERM", () => {
  it("takes the npm exec parent going away as SIGTERM: a graceful stop, no orphan holding the port", async () => {
    const project = join(dir, "npx-project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "npx-project", version: "1.0.0" }));
    // what npm's install does for a bin: a link, executable
    chmodSync(bin, 0o755);
    symlinkSync(bin, join(project, "node_modules", ".bin", "convotic"));
    const config = join(root, "examples", "convotic.config.json");
    const npx = spawn("npx", ["--no-install", "convotic", "serve", "--config", config, "--port", "0"], {
      cwd: project,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? dir },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    npx.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/listening on (http:\/\/\S+)/.test(stderr) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const url = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      npx.kill("SIGTERM");
      // npm exits at once without passing the signal on; serve notices within its poll and stops gracefully
      let gone = false;
      for (let i = 0; i < 100 && !gone; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        gone = await fetch(`${url}/healthz`).then(
          () => false,
          () => true,
        );
      }
      expect(gone).toBe(true);
    } finally {
      if (npx.exitCode === null) npx.kill("SIGKILL");
    }
  });
});
