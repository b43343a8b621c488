import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { loadConfig } from "../../src/cli/server-config";
import { runBuiltServe, startBuiltServe, until } from "../support/built-serve";

/*
 * The inspector from serve's config file (`inspect`), and the --inspect flags over it, in the built CLI as its own
 * process: what the page answers, where "save as fixture" writes, the caps, and the loopback rule.
 */
const BLOCKS = [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { allow_unverified: true } }];
const body = readFileSync(join(__dirname, "..", "..", "fixtures", "telegram", "message-text-private.json"));
const dirs: string[] = [];

function configFile(inspect: unknown): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), "convotic-inspect-config-"));
  dirs.push(dir);
  const path = join(dir, "convotic.config.json");
  writeFileSync(path, JSON.stringify({ blocks: BLOCKS, ...(inspect === undefined ? {} : { inspect }) }));
  return { dir, path };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("inspect in the config file turns the inspector on, with its caps and a fixtures_dir beside the file", async () => {
  const { dir, path } = configFile({ enabled: true, fixtures_dir: "saved", max_entries: 2 });
  const serve = await startBuiltServe(["--config", path, "--port", "0"]);
  try {
    await until(() => /convotic: inspector at .*\/_convotic/.exec(serve.stderr())?.[0], "the inspector line");
    for (let index = 0; index < 3; index++) {
      const answer = await fetch(`${serve.url}/webhooks/tg`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(answer.status).toBe(200);
    }
    const listed = (await (await fetch(`${serve.url}/_convotic/api/entries`)).json()) as { entries: { id: number }[] };
    // max_entries: 2 keeps the last two of three
    expect(listed.entries.map((entry) => entry.id)).toEqual([2, 3]);
    const saved = await fetch(`${serve.url}/_convotic/api/entries/3/fixture`, {
      method: "POST",
      headers: { "x-convotic-inspector": "1", "content-type": "application/json" },
      body: JSON.stringify({ name: "from-config" }),
    });
    expect(saved.status).toBe(200);
    // relative to the config file's folder, not to serve's working directory
    expect(existsSync(join(dir, "saved", "telegram", "from-config.json"))).toBe(true);
    expect(existsSync(join(dir, "saved", "telegram", "from-config.golden.json"))).toBe(true);
  } finally {
    expect(await serve.stop()).toBe(0);
  }
});

test("enabled: false keeps it off, and --inspect overrides the file", async () => {
  const { path } = configFile({ enabled: false });
  const off = await startBuiltServe(["--config", path, "--port", "0"]);
  try {
    expect((await fetch(`${off.url}/_convotic`)).status).toBe(404);
    expect(off.stderr()).not.toContain("inspector at");
  } finally {
    await off.stop();
  }
  const on = await startBuiltServe(["--config", path, "--port", "0", "--inspect"]);
  try {
    const page = await fetch(`${on.url}/_convotic`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>");
  } finally {
    await on.stop();
  }
});

test("the loopback rule holds for the file too: HOST=0.0.0.0 is refused unless allow_remote (or the flag) says so", async () => {
  const refused = await runBuiltServe(["--config", configFile(true).path, "--port", "0"], { HOST: "0.0.0.0" });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/the config file's "inspect" on 0\.0\.0\.0, a non-loopback address/);
  const allowed = await startBuiltServe(["--config", configFile({ allow_remote: true }).path, "--port", "0"], {
    HOST: "0.0.0.0",
  });
  try {
    await until(() => /inspector at .*reachable from other machines/.exec(allowed.stderr())?.[0], "the inspector line");
  } finally {
    await allowed.stop();
  }
  // --inspect-fixtures without the inspector on, from the flag or the file, is a usage error
  const lonely = await runBuiltServe([
    "--config",
    configFile(undefined).path,
    "--port",
    "0",
    "--inspect-fixtures",
    "x",
  ]);
  expect(lonely.code).toBe(2);
  expect(lonely.stderr).toContain("--inspect-fixtures need --inspect");
});

test("the schema refuses a misspelt inspect key and a wrong type", () => {
  const normalizer = createNormalizer({ adapters });
  expect(() => loadConfig({ blocks: BLOCKS, inspect: { fixture_dir: "x" } }, { normalizer })).toThrow(/inspect/);
  expect(() => loadConfig({ blocks: BLOCKS, inspect: "yes" }, { normalizer })).toThrow(/inspect/);
  expect(loadConfig({ blocks: BLOCKS, inspect: { allow_remote: true } }, { normalizer }).inspect).toEqual({
    allow_remote: true,
  });
});
