import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../src/adapters";
import { EVENT_TYPES } from "../src/core";
import { runCli } from "./support/run-cli";
import { fixturesOf } from "./support/fixtures";

/*
 * The CLI is a contract other tools script against, so these tests run the built binary (npm test builds
 * first) as a real process: exit codes, stdout and stderr exactly as a user sees them.
 */
const root = join(__dirname, "..");
const bin = join(root, "dist", "cli", "main.js");

function cli(args: string[], input?: string | Buffer) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, input: input ?? "", encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
});

describe("convotic normalize", () => {
  const fixture = fixturesOf("telegram").find((f) => f.name === "message-start-deep-link")!;

  it("prints a JSON array of envelopes on stdout and a one-line summary on stderr", () => {
    const out = cli([
      "normalize",
      "--platform",
      "telegram",
      "--workspace",
      "ws_cli",
      "--block",
      "blk_cli",
      fixture.path,
    ]);
    expect(out.code).toBe(0);
    const events = JSON.parse(out.stdout) as { type: string; workspace_id: string; block_id: string }[];
    expect(events.map((e) => e.type)).toEqual(["messaging.message.received", "messaging.conversation.created"]);
    expect(events.every((e) => e.workspace_id === "ws_cli" && e.block_id === "blk_cli")).toBe(true);
    expect(out.stderr).toBe("2 event(s), 0 unhandled\n");
  });

  it("reads stdin for '-' and names unhandled kinds", () => {
    const poll = fixturesOf("telegram").find((f) => f.name === "poll")!;
    const out = cli(["normalize", "-p", "telegram", "-"], poll.body);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual([]);
    expect(out.stderr).toBe("0 event(s), 1 unhandled: poll\n");
  });

  it("gives byte-identical output for the same fixture twice, even for events without a platform time", () => {
    const callback = fixturesOf("telegram").find((f) => f.name === "callback-query")!;
    const args = ["normalize", "-p", "telegram", "--received-at", "2026-11-22T10:00:00Z", callback.path];
    const first = cli(args);
    expect(first.code).toBe(0);
    expect(cli(args).stdout).toBe(first.stdout);
    expect(first.stdout).toContain('"timestamp": "2026-11-22T10:00:00.000Z"');
    const startArgs = ["normalize", "-p", "telegram", fixture.path];
    expect(cli(startArgs).stdout).toBe(cli(startArgs).stdout);
  });

  it.each([
    ["invalid JSON", "{not json", /body is not valid JSON/],
    ["another platform's body", '{"object":"page","entry":[]}', /body is not a telegram webhook: update_id/],
  ])("exits 1 with one line on stderr for %s", (_label, body, message) => {
    const out = cli(["normalize", "-p", "telegram"], body);
    expect(out.code).toBe(1);
    expect(out.stdout).toBe("");
    expect(out.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(out.stderr).toMatch(message);
  });

  it("exits 1 for a file that cannot be read", () => {
    const out = cli(["normalize", "-p", "telegram", join(root, "no-such-file.json")]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/cannot read/);
  });

  it.each([
    [["normalize", "--platform", "myspace"], /unknown platform "myspace"/],
    [["normalize", "--bogus"], /Unknown option '--bogus'/],
    [["normalize", "-p", "telegram", "--received-at", "later"], /--received-at is not a timestamp/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [[], /no command given/],
  ])("exits 2 with usage for %j", (args, message) => {
    const out = cli(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/usage: convotic/);
  });

  it("normalises every bundled fixture of every built adapter (in-process, through the same run())", async () => {
    let checked = 0;
    for (const platform of Object.keys(adapters)) {
      for (const f of fixturesOf(platform)) {
        const out = await runCli(["normalize", "-p", platform, f.path]);
        expect({ fixture: `${platform}/${f.name}`, code: out.code, stderr: out.stderr }).toEqual({
          fixture: `${platform}/${f.name}`,
          code: 0,
          stderr: expect.stringMatching(/^\d+ event\(s\), \d+ unhandled/),
        });
        expect(Array.isArray(JSON.parse(out.stdout))).toBe(true);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
  }, 120_000);
});

describe("convotic types and schema", () => {
  it("lists all 35 core types plus the 7 extensions with their domain and emitting adapters", () => {
    const out = cli(["types", "--json"]);
    expect(out.code).toBe(0);
    const rows = JSON.parse(out.stdout) as { type: string; domain: string; extension: boolean; adapters: string[] }[];
    expect(rows.filter((r) => !r.extension)).toHaveLength(35);
    expect(
      rows
        .filter((r) => r.extension)
        .map((r) => r.type)
        .sort(),
    ).toEqual([
      "automation.draft.created",
      "messaging.conversation.updated",
      "messaging.handoff.requested",
      "messaging.member.joined",
      "messaging.member.left",
      "messaging.message.deleted",
      "messaging.message.updated",
    ]);
    expect(rows.find((r) => r.type === "messaging.postback")?.adapters).toContain("telegram");
    expect(rows.find((r) => r.type === "crm.deal.created")?.domain).toBe("crm");
    const table = cli(["types"]);
    expect(table.stdout.trimEnd().split("\n")).toHaveLength(42);
  });

  it("prints a JSON Schema for every catalogue type and for the union", async () => {
    for (const type of EVENT_TYPES) {
      const out = await runCli(["schema", type]);
      expect(out.code).toBe(0);
      const schema = JSON.parse(out.stdout) as {
        properties: { type: { const: string } };
        additionalProperties: boolean;
      };
      expect(schema.properties.type.const).toBe(type);
      expect(schema.additionalProperties).toBe(false);
    }
    const union = JSON.parse(cli(["schema"]).stdout) as { oneOf: unknown[] };
    expect(union.oneOf).toHaveLength(EVENT_TYPES.length);
    expect(cli(["schema", "messaging.nope"]).code).toBe(2);
  }, 120_000);
});

describe("generated docs", () => {
  it("docs/events.md is what `npm run docs` generates from the catalogue", async () => {
    expect(readFileSync(join(root, "docs", "events.md"), "utf8")).toBe((await runCli(["docs"])).stdout);
  });
});
