import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { COMMANDS } from "../src/cli/commands";
import { run } from "../src/cli/main";
import { FIXTURES_DIR } from "./support/fixtures";
import { closedPort } from "./support/ports";

/* Help, version, exit codes and reproducibility of every command, through the built binary as users run it. */
const root = join(__dirname, "..");
const bin = join(root, "dist", "cli", "main.js");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  scripts: Record<string, string>;
};

function cli(args: string[], options: { cwd?: string } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? root, input: "", encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(bin)) execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
});

describe("help and version", () => {
  it.each(Object.keys(COMMANDS))("%s --help prints its own usage and options on stdout and exits 0", (command) => {
    for (const flag of ["--help", "-h"]) {
      const out = cli([command, flag]);
      expect(out).toEqual({
        code: 0,
        stdout: expect.stringMatching(new RegExp(`^usage: convotic ${command} `)),
        stderr: "",
      });
    }
    expect(cli(["help", command]).stdout).toBe(cli([command, "--help"]).stdout);
  });

  it("--help after other flags still wins, and a bad flag shows the command's usage, not a parser dump", () => {
    expect(cli(["normalize", "--platform", "telegram", "--help"]).code).toBe(0);
    const bad = cli(["normalize", "--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[1]).toBe(`usage: ${COMMANDS.normalize.usage}`);
  });

  it("convotic --help lists every command", () => {
    const out = cli(["--help"]);
    expect(out.code).toBe(0);
    for (const command of Object.values(COMMANDS)) expect(out.stdout).toContain(command.usage);
  });

  it.each([["--version"], ["-v"], ["version"]])("%s prints the package version", (flag) => {
    expect(cli([flag])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
  });
});

describe("bad usage is exit 2 with one reason", () => {
  it.each([
    [
      ["demo", "--platform", "foo"],
      /unknown platform "foo" \(available: instagram, line, messenger, telegram, twilio, viber, wechat, whatsapp\)/,
    ],
    [["normalize", "--platform", "foo"], /unknown platform "foo"/],
    [["demo", "--received-at", "yesterday"], /--received-at is not a timestamp/],
    [["normalize", "-p", "telegram", "--workspace", ""], /--workspace may not be empty/],
    [["normalize", "-p", "telegram", "--block", ""], /--block may not be empty/],
    [["docs", "--out", ""], /--out needs a file name/],
    [["help", "frobnicate"], /unknown command "frobnicate"/],
  ])("%j", (args, message) => {
    const out = cli(args);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe("");
    expect(out.stderr.split("\n")[0]).toMatch(message);
  });
});

describe("convotic demo", () => {
  it("is byte-for-byte reproducible with --received-at, which events without a platform time take", () => {
    const args = ["demo", "--platform", "telegram", "--received-at", "2025-07-01T12:00:00Z"];
    const first = cli(args);
    expect(first.code).toBe(0);
    expect(cli(args).stdout).toBe(first.stdout);
    const received = first.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as { timestamp: string; metadata: { timestamp_source?: string } })
      .filter((event) => event.metadata.timestamp_source === "received");
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((event) => event.timestamp === "2025-07-01T12:00:00.000Z")).toBe(true);
  });

  it("prints what the README shows for its example", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const example = /```sh\n\$ npx convotic (demo [^|\n]*)\| head -n 1\n([^\n]+)\n```/.exec(readme);
    expect(example).not.toBeNull();
    const out = cli(example![1]!.trim().split(/\s+/));
    expect(out.code).toBe(0);
    expect(out.stdout.split("\n")[0]).toBe(example![2]);
  });
});

describe("convotic docs", () => {
  it("prints the committed docs/events.md, and --out writes it", () => {
    const committed = readFileSync(join(root, "docs", "events.md"), "utf8");
    expect(cli(["docs"]).stdout).toBe(committed);
    const dir = mkdtempSync(join(tmpdir(), "convotic-docs-"));
    try {
      const out = cli(["docs", "--out", join(dir, "events.md")]);
      expect(out.code).toBe(0);
      expect(readFileSync(join(dir, "events.md"), "utf8")).toBe(committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("npm run docs regenerates docs/events.md with that command", () => {
    expect(manifest.scripts["docs"]).toMatch(/main\.js docs --out docs\/events\.md$/);
  });

  it("keeps the generated docs tracked: .gitignore does not list them", () => {
    for (const file of ["docs/events.md", "docs/http.md"]) {
      const check = spawnSync("git", ["check-ignore", "--no-index", "-q", file], { cwd: root });
      expect({ file, ignored: check.status === 0 }).toEqual({ file, ignored: false });
    }
  });
});

describe("convotic replay against a server that stops answering", () => {
  const dir = mkdtempSync(join(tmpdir(), "convotic-replay-down-"));
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: "replay-down-token" } }],
    }),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function replay(to: string) {
    let stderr = "";
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((stderr += chunk.toString()), done()) });
    const code = await run(["replay", join(FIXTURES_DIR, "telegram"), "--to", to, "--config", config], {
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      stderr: sink,
      env: {},
    });
    return { code, stderr };
  }

  it("stops after 3 connection failures with one line, exit 1, and sends nothing", async () => {
    const port = await closedPort();
    const out = await replay(`http://127.0.0.1:${port}`);
    expect(out.code).toBe(1);
    const total = out.stderr.match(/of (\d+),/)?.[1];
    expect(Number(total)).toBeGreaterThan(3);
    expect(out.stderr).toBe(
      `convotic: cannot reach http://127.0.0.1:${port}: ECONNREFUSED (3 connection failure(s) in a row); stopped: sent 0 of ${total}, accepted 0\n`,
    );
  });

  it("counts only the bodies the server answered when it goes away mid-run", async () => {
    let answered = 0;
    const server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        answered += 1;
        response.writeHead(200, { "content-type": "application/json", connection: "close" }).end("{}");
        if (answered === 2) {
          server.close();
          server.closeAllConnections();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const out = await replay(`http://127.0.0.1:${port}`);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(
      new RegExp(
        `^convotic: cannot reach http://127\\.0\\.0\\.1:${port}: \\w+ \\(3 connection failure\\(s\\) in a row\\); stopped: sent 2 of \\d+, accepted 2\\n$`,
      ),
    );
  });
});
