import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/*
 * What loading the package loads, counted from `require.cache` in a fresh process over the build (`npm test`
 * builds first): module lists, not timings, so the check does not depend on how busy the machine is. The timings
 * themselves are `node bench/load-time.mjs` (README "Load time").
 */
const ROOT = join(__dirname, "..");

/** Runs `script` in a fresh node and returns what it printed as JSON. */
function inFreshNode(script: string, args: readonly string[] = ["-e"]): unknown {
  const result = spawnSync(process.execPath, [...args, script], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

/** A script line that prints the loaded modules as `{ packages: {name: count}, own: [dist paths] }`. */
const REPORT = `
  const loaded = Object.keys(require.cache);
  const packages = {};
  for (const path of loaded) {
    const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(path);
    if (match) packages[match[1]] = (packages[match[1]] ?? 0) + 1;
  }
  const own = loaded.filter((path) => !path.includes("/node_modules/") && path.includes("/dist/")).map((path) => path.slice(path.indexOf("/dist/") + 6));
  console.log(JSON.stringify({ packages, own }));`;

interface Loaded {
  packages: Record<string, number>;
  own: string[];
}

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "root.js")))
    throw new Error("dist/ is missing: this test reads the build (npm test builds first)");
});

describe('require("convotic")', () => {
  it("loads one module: no zod, pino, prom-client or date-fns, no adapter, edge or sink", () => {
    const loaded = inFreshNode(`require(${JSON.stringify(ROOT)});${REPORT}`) as Loaded;
    expect(loaded.packages).toEqual({});
    expect(loaded.own).toEqual(["root.js"]);
  });

  it("offers the root export's names, each the very value of the declared entry, loaded on first read", () => {
    const seen = inFreshNode(`
      const lazy = require(${JSON.stringify(ROOT)});
      const names = Object.keys(lazy).sort();
      const before = Object.keys(require.cache).length;
      const values = Object.fromEntries(names.map((name) => [name, lazy[name]]));
      const declared = require("./dist/index.js");
      console.log(JSON.stringify({
        names,
        declaredNames: Object.keys(declared).sort(),
        before,
        same: names.filter((name) => values[name] === declared[name]).length,
        plain: names.filter((name) => "value" in Object.getOwnPropertyDescriptor(lazy, name)).length,
      }));`) as Record<string, unknown>;
    expect(seen.names).toEqual(seen.declaredNames);
    expect(seen.before).toBe(1);
    expect(seen.same).toBe((seen.names as string[]).length);
    // after the first read every name is a data property: later reads cost what any property read costs
    expect(seen.plain).toBe((seen.names as string[]).length);
  });

  it("loads only the room of the name read: createConvotic brings the core and the registry, not the edge", () => {
    const loaded = inFreshNode(`
      const { createConvotic } = require(${JSON.stringify(ROOT)});
      createConvotic();
      ${REPORT}`) as Loaded;
    const rooms = new Set(loaded.own.map((path) => path.split("/")[0]));
    expect([...rooms].sort()).toEqual(["adapters", "core", "root.js"]);
    expect(loaded.own.filter((path) => path.startsWith("adapters/"))).toEqual(["adapters/index.js"]);
    expect(loaded.packages).not.toHaveProperty("pino");
  });

  it("gives ESM its named exports", () => {
    const folder = mkdtempSync(join(tmpdir(), "convotic-load-"));
    try {
      const file = join(folder, "check.mjs");
      writeFileSync(
        file,
        `import { createConvotic, EVENT_TYPES, ConvoticError } from ${JSON.stringify(join(ROOT, "dist", "root.js"))};
         console.log(JSON.stringify([typeof createConvotic, EVENT_TYPES.length > 0, typeof ConvoticError]));`,
      );
      expect(inFreshNode(file, [])).toEqual(["function", true, "function"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe("the built-in adapter registry", () => {
  it("loads an adapter when its platform is first used, and no other", () => {
    const loaded = inFreshNode(`
      const fs = require("node:fs");
      const normalizer = require(${JSON.stringify(ROOT)}).createConvotic();
      const platforms = normalizer.platforms;
      const result = normalizer.normalize("telegram", fs.readFileSync("fixtures/telegram/message-start-deep-link.json"), {
        workspace_id: "ws_1",
        block_id: "blk_1",
      });
      const adapters = Object.keys(require.cache)
        .filter((path) => path.includes("/dist/adapters/") && !path.endsWith("/dist/adapters/index.js"))
        .map((path) => path.split("/dist/adapters/")[1].split("/")[0]);
      console.log(JSON.stringify({ platforms, events: result.events.length, adapters: [...new Set(adapters)] }));`);
    expect(loaded).toEqual({
      platforms: ["instagram", "line", "messenger", "telegram", "twilio", "viber", "wechat", "whatsapp"],
      events: 2,
      adapters: ["telegram"],
    });
  });
});

describe("convotic --version", () => {
  it("loads the CLI's entry, its help table and its io, nothing else", () => {
    // a preload prints the modules loaded when the process exits, on stderr (stdout has the version)
    const folder = mkdtempSync(join(tmpdir(), "convotic-load-"));
    try {
      const preload = join(folder, "report.cjs");
      writeFileSync(preload, `process.on("exit", () => { ${REPORT.replace("console.log", "process.stderr.write")} });`);
      const result = spawnSync(process.execPath, ["-r", preload, join(ROOT, "dist", "cli", "main.js"), "--version"], {
        encoding: "utf8",
      });
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const loaded = JSON.parse(result.stderr) as Loaded;
      expect(loaded.packages).toEqual({});
      expect(loaded.own.sort()).toEqual(["cli/commands.js", "cli/io.js", "cli/main.js"]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
