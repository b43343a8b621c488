import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort } from "../support/ports";

/*
 * `convotic check`, the built binary, over configs with several problems at once, and `--probe` against the real
 * Redis (127.0.0.1:6379) and NATS (127.0.0.1:4222) of the machine, a real HTTP receiver, and a port nothing listens on.
 */
const root = join(__dirname, "..", "..");
const bin = join(root, "dist", "cli", "main.js");
const WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let dir: string;

beforeAll(() => {
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  dir = mkdtempSync(join(tmpdir(), "convotic-check-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(config: unknown, args: string[] = [], env: Record<string, string> = {}) {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config));
  return new Promise<{ code: number | null; stdout: string; stderr: string; file: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, "check", "--config", file, ...args],
      { cwd: dir, env: { PATH: process.env["PATH"] ?? "", ...env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr, file }),
    );
  });
}

const withDeps = {
  idempotency: { store: "redis", url: "${T_REDIS_URL}" },
  sinks: [
    { kind: "webhook", name: "crm", url: "${T_HOOK_URL}", secrets: ["${T_WHSEC}"], dead_letter: "dl.jsonl" },
    { kind: "jetstream", servers: "${T_NATS_URL}", stream: { name: "CHECK_TEST" } },
  ],
  blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: "${T_TG_TOKEN}" } }],
};

describe("convotic check", () => {
  it("accepts the bundled example config, lists its blocks, the store and the sink, warns about dev secrets", async () => {
    const out = await check(
      JSON.parse(execFileSync("cat", [join(root, "examples", "convotic.config.json")], { encoding: "utf8" })),
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("block tg-demo: telegram, workspace ws_demo, POST /webhooks/tg-demo");
    expect(out.stdout).toContain("store: memory");
    expect(out.stdout).toContain("sink stdout (the default");
    expect(out.stderr).toMatch(
      /warning: block tg-demo: secrets\.secret_token hold the example config's development secrets/,
    );
    expect(out.stderr.trim().split("\n").pop()).toBe("ok: no problems");
  });

  it("reports every problem on its own line, naming fields, never values, and exits 1", async () => {
    const out = await check({
      ...withDeps,
      blocks: [
        ...withDeps.blocks,
        { id: "li", platform: "line", workspace_id: "ws", secrets: { channel_secrets: ["s3cr3t-short"] } },
        { id: "ac", platform: "acme", workspace_id: "ws", secrets: {} },
        { id: "bad", platform: "viber", workspace_id: "ws", secrets: { auth_tokens: ["$oops"] } },
      ],
    });
    expect(out.code).toBe(1);
    const lines = out.stderr.trim().split("\n");
    const problems = [
      "idempotency.url references ${T_REDIS_URL}, which is not set",
      "sinks[0].url references ${T_HOOK_URL}, which is not set",
      "sinks[0].secrets[0] references ${T_WHSEC}, which is not set",
      "sinks[1].servers references ${T_NATS_URL}, which is not set",
      "blocks[0].secrets.secret_token references ${T_TG_TOKEN}, which is not set",
      "blocks[3].secrets.auth_tokens[0] has a malformed reference",
      'block "li": secrets.channel_secrets[0] is shorter than 16 characters',
      'block "ac": unknown platform "acme"',
    ];
    for (const problem of problems) expect(lines.some((text) => text.startsWith(`${out.file}: ${problem}`))).toBe(true);
    expect(lines.pop()).toBe(`${problems.length} problem(s)`);
    expect(out.stderr).not.toContain("s3cr3t-short");
  });

  it("--probe connects to the real Redis, NATS and a webhook receiver: exit 0, one ok line each", async () => {
    const receiver: Server = createServer((_req, res) => res.writeHead(405).end());
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const env = {
        T_REDIS_URL: "redis://127.0.0.1:6379",
        T_HOOK_URL: hook,
        T_WHSEC: WHSEC,
        T_NATS_URL: "nats://127.0.0.1:4222",
        T_TG_TOKEN: "token_1",
      };
      const out = await check(withDeps, ["--probe"], env);
      expect(out.stderr).toBe("ok: no problems\n");
      expect(out.code).toBe(0);
      expect(out.stdout).toContain("probe store redis redis://127.0.0.1:6379: ok");
      expect(out.stdout).toContain("probe sink jetstream nats://127.0.0.1:4222: ok");
      expect(out.stdout).toContain(`probe sink webhook "crm" ${hook}: ok`);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("--probe against a dead port: one line per unreachable dependency, exit 1, within the probe timeout", async () => {
    const port = await closedPort();
    const env = {
      T_REDIS_URL: `redis://127.0.0.1:${port}`,
      T_HOOK_URL: `http://127.0.0.1:${port}/hooks`,
      T_WHSEC: WHSEC,
      T_NATS_URL: `nats://127.0.0.1:${port}`,
      T_TG_TOKEN: "token_1",
    };
    const started = Date.now();
    const out = await check(withDeps, ["--probe"], env);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(out.code).toBe(1);
    const lines = out.stderr.trim().split("\n");
    expect(lines).toEqual([
      `${out.file}: probe store redis redis://127.0.0.1:${port}: ECONNREFUSED`,
      `${out.file}: probe sink webhook "crm" http://127.0.0.1:${port}/hooks: ECONNREFUSED`,
      `${out.file}: probe sink jetstream nats://127.0.0.1:${port}: ECONNREFUSED`,
      "3 problem(s)",
    ]);
  });

  it("a file that is not JSON is one line, without quoting the file", async () => {
    const out = await check('{ "blocks": [ { "secret": "hunter2" ');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/: not valid JSON/);
    expect(out.stderr).not.toContain("hunter2");
  });
});
