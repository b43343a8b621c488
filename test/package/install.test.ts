import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { packAndInstall, root, rootManifest, type PackResult } from "./support";

/*
 * The package as a user gets it. A copy of the repository without dist/ (what a clone or a git URL gives) is
 * packed with `npm pack`, whose `prepack` script must build dist/ (and drop `prepare` from the packed manifest); the tarball is installed into an empty
 * project offline, from a lock file derived from ours (npm ci already put every tarball in the npm cache), and
 * used the three ways users do: require, import from .mjs, and the `convotic` bin.
 */
let work: string;
let pack: PackResult;
let consumer: string;

beforeAll(() => {
  ({ work, pack, consumer } = packAndInstall());
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** The documented entry points (README "Install"), each with names its documentation shows. */
const SUBPATH_NAMES: Readonly<Record<string, readonly string[]>> = {
  convotic: [
    "createConvotic",
    "createNormalizer",
    "createRouter",
    "createWebhookHandler",
    "convoticExpress",
    "toFetchHandler",
    "startServer",
    "catalogue",
    "ConvoticError",
  ],
  "convotic/adapters": ["defineAdapter", "EnvelopeBuilder", "telegram", "hmac", "matchesAnySecret"],
  "convotic/http": ["createWebhookHandler", "loadBlocks", "BlockSet", "toNodeListener"],
  "convotic/sinks": ["createSink", "FileSink", "WebhookSink", "SinkConfig"],
  "convotic/delivery": ["MemoryStore", "RedisStore", "createJetStreamConsumer", "Outbox"],
  "convotic/formats": ["toCloudEvent", "fromCloudEvent", "toThreadEvent"],
  "convotic/observe": ["createLogger", "createMetrics", "observeHandler", "startOpsServer"],
  "convotic/testing": ["describeAdapterConformance", "signedHeaders", "signedRequest", "signedFetchRequest"],
};

function node(args: string[], cwd = consumer) {
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the packed tarball", () => {
  it("ships the built library with its declarations, the docs, the example config and the demo's raw bodies", () => {
    const paths = pack.files.map((file) => file.path);
    for (const wanted of [
      "LICENSE",
      "README.md",
      "package.json",
      "dist/root.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/public/http.js",
      "dist/public/http.d.ts",
      "dist/public/testing.d.ts",
      "docs/events.md",
      "docs/http.md",
      "examples/convotic.config.json",
      "fixtures/telegram/message-start-deep-link.json",
    ]) {
      expect(paths).toContain(wanted);
    }
  });

  it("leaves out golden outputs, source maps, sources and tests", () => {
    const paths = pack.files.map((file) => file.path);
    expect(
      paths.filter(
        (path) =>
          path.endsWith(".golden.json") ||
          path.endsWith(".map") ||
          /^(src|test|bench)\//.test(path) ||
          (path.endsWith(".ts") && !path.endsWith(".d.ts")),
      ),
    ).toEqual([]);
    // what is left is dist (a .js and a .d.ts per module), docs and one raw body per fixture (JSON, forms, XML):
    // 803 with seven adapters, the inspector and the lazy root; the bound catches a stray folder (sources, maps,
    // tests), which would add hundreds
    expect(pack.entryCount).toBeLessThan(880);
  });

  it("carries no install-time script (npm 11's allowScripts has nothing to ask), and packing left the clone as it was", () => {
    const installed = JSON.parse(readFileSync(join(consumer, "node_modules", "convotic", "package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    const lifecycle = ["preinstall", "install", "postinstall", "prepare"];
    expect(Object.keys(installed.scripts ?? {}).filter((name) => lifecycle.includes(name))).toEqual([]);
    const clone = JSON.parse(readFileSync(join(work, "clone", "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(clone.scripts["prepare"]).toBe("npm run build");
    expect(existsSync(join(work, "clone", ".package.json.packing"))).toBe(false);
  });

  it("carries the MIT licence text package.json declares", () => {
    expect(readFileSync(join(consumer, "node_modules", "convotic", "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  it("installs without express or any other optional peer", () => {
    for (const peer of Object.keys(rootManifest.peerDependencies)) {
      expect(existsSync(join(consumer, "node_modules", ...peer.split("/")))).toBe(false);
    }
  });
});

describe("the installed package", () => {
  it("works with require()", () => {
    const script = `
      const { createConvotic } = require("convotic");
      const fs = require("node:fs");
      const body = fs.readFileSync(require.resolve("convotic/package.json").replace("package.json", "fixtures/telegram/message-start-deep-link.json"));
      const result = createConvotic().normalize("telegram", body, { workspace_id: "ws_1", block_id: "blk_1" });
      console.log(result.events.map((e) => e.type).join(","));`;
    const result = node(["-e", script]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("messaging.message.received,messaging.conversation.created");
  });

  it("works with import from an .mjs file, named exports included", () => {
    writeFileSync(
      join(consumer, "check.mjs"),
      `import { createConvotic, createRouter, EVENT_TYPES } from "convotic";
       import convotic from "convotic";
       console.log(typeof createConvotic, typeof createRouter, EVENT_TYPES.length > 0, typeof convotic.createWebhookHandler);`,
    );
    const result = node(["check.mjs"]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe("function function true function");
  });

  it("keeps deep imports out: only the exported entry points resolve", () => {
    for (const deep of [
      "convotic/dist/core/pipeline.js",
      "convotic/dist/public/http.js",
      "convotic/core",
      "convotic/dist/index.js",
    ]) {
      const result = node(["-e", `require(${JSON.stringify(deep)})`]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
  });

  it("resolves every documented subpath, each with what its documentation names", () => {
    const script = `
      const names = ${JSON.stringify(SUBPATH_NAMES)};
      for (const [subpath, wanted] of Object.entries(names)) {
        const module = require(subpath);
        const missing = wanted.filter((name) => module[name] === undefined);
        console.log(subpath, missing.length === 0 ? "ok" : "missing " + missing.join(","));
      }`;
    const result = node(["-e", script]);
    expect(result.stderr).toBe("");
    expect(result.stdout.trim().split("\n")).toEqual(Object.keys(SUBPATH_NAMES).map((subpath) => `${subpath} ok`));
  });

  it('loads neither zod, pino, prom-client nor date-fns for require("convotic")', () => {
    const script = `
      require("convotic");
      const loaded = Object.keys(require.cache);
      const from = (name) => loaded.filter((path) => path.includes("/node_modules/" + name + "/")).length;
      console.log(JSON.stringify({ zod: from("zod"), pino: from("pino"), promClient: from("prom-client"), dateFns: from("date-fns") }));`;
    const result = node(["-e", script]);
    expect(result.stderr).toBe("");
    const counts = JSON.parse(result.stdout) as { zod: number; pino: number; promClient: number; dateFns: number };
    // each root name loads its room on first read (src/root.ts)
    expect(counts).toEqual({ zod: 0, pino: 0, promClient: 0, dateFns: 0 });
  });

  // every documented subpath, typed: a name that is not in an entry's declarations fails to compile
  const typedConsumer = `import { createConvotic, createRouter } from "convotic";
       ${Object.entries(SUBPATH_NAMES)
         .filter(([subpath]) => subpath !== "convotic")
         .map(
           ([subpath, names], index) =>
             `import { ${names.map((name) => `${name} as n${index}_${name}`).join(", ")} } from "${subpath}";\nvoid [${names.map((name) => `n${index}_${name}`).join(", ")}];`,
         )
         .join("\n")}
       const result = createConvotic().normalize("telegram", "{}", { workspace_id: "w", block_id: "b" });
       createRouter().on("messaging.message.received", (event) => { const text: string | undefined = event.data.message.text; void text; });
       void result;`;

  function typeCheck(file: string, module: ts.ModuleKind, moduleResolution: ts.ModuleResolutionKind): string[] {
    writeFileSync(file, typedConsumer);
    const program = ts.createProgram([file], {
      target: ts.ScriptTarget.ES2022,
      module,
      moduleResolution,
      esModuleInterop: true,
      // TypeScript 6 deprecates node10 resolution; consumers on older compilers still use it
      ...(moduleResolution === ts.ModuleResolutionKind.Node10 ? { ignoreDeprecations: "6.0" } : {}),
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      typeRoots: [join(root, "node_modules", "@types")],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  }

  it("type-checks a TypeScript consumer of every entry point through the types conditions of exports", () => {
    expect(typeCheck(join(consumer, "check.mts"), ts.ModuleKind.NodeNext, ts.ModuleResolutionKind.NodeNext)).toEqual(
      [],
    );
  }, 60_000);

  it("type-checks the same consumer under moduleResolution node10, through typesVersions", () => {
    expect(
      typeCheck(join(consumer, "check-node10.ts"), ts.ModuleKind.CommonJS, ts.ModuleResolutionKind.Node10),
    ).toEqual([]);
  }, 60_000);

  it("runs the convotic bin", () => {
    const bin = join(consumer, "node_modules", ".bin", "convotic");
    const version = spawnSync(bin, ["--version"], { cwd: consumer, encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(rootManifest.version);
    const demo = spawnSync(bin, ["demo", "--platform", "telegram", "--received-at", "2025-01-01T00:00:00.000Z"], {
      cwd: consumer,
      encoding: "utf8",
    });
    expect(demo.status).toBe(0);
    expect(demo.stdout.trim().split("\n").length).toBeGreaterThan(40);
  });
});
