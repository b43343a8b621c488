import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, packAndInstall, root } from "./support";

/*
 * The scaffold's promise, as a user meets it: in a fresh project that installed the packed `convotic` (offline,
 * from the npm cache), `npx convotic new-adapter acme` writes files that compile under the strict flags we use,
 * and whose conformance test fails only on what is left to write (a batch and a poisoned batch), each failure
 * saying what to write. The generated TypeScript is compiled with our tsc and the test run by our jest on the
 * emitted JavaScript, so `convotic` and `convotic/testing` resolve from the fresh project's node_modules (zod comes
 * re-exported from `convotic/adapters`). An ES-module project gets ES-module files, run with `node --test`.
 */
let work: string;
let consumer: string;
let scaffold: { status: number | null; stdout: string; stderr: string };

beforeAll(() => {
  ({ work, consumer } = packAndInstall());
  const result = spawnSync("npx", ["--no-install", "convotic", "new-adapter", "acme"], {
    cwd: consumer,
    env: cleanEnv,
    encoding: "utf8",
  });
  scaffold = { status: result.status, stdout: result.stdout, stderr: result.stderr };
}, 300_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

const LEFT_TO_WRITE: Record<string, RegExp> = {
  "emits or reports every item of a batch":
    /^Error: write a fixture batching several raw items and give options\.cases\.batch: \{ fixture, items \}/,
  "isolates a malformed item: it alone is reported, its neighbours are emitted":
    /^Error: write a fixture batching good items and one malformed item, give it as options\.cases\.poisoned, and map each item inside builder\.item\(\)/,
};

describe("convotic new-adapter in a fresh project", () => {
  it("writes the adapter folder, a conformance test and an example fixture with its golden", () => {
    expect(scaffold.stderr).not.toMatch(/error/i);
    expect(scaffold.status).toBe(0);
    expect(scaffold.stdout.trim().split("\n")).toEqual([
      "wrote adapters/acme/schema.ts",
      "wrote adapters/acme/normalize.ts",
      "wrote adapters/acme/index.ts",
      "wrote adapters/acme/acme.conformance.test.ts",
      "wrote fixtures/acme/example.json",
      "wrote fixtures/acme/example.golden.json",
    ]);
  });

  it("compiles under strict flags, and its conformance test fails only on what is left to write, saying what", () => {
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "node16",
          moduleResolution: "node16",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
          noUnusedLocals: true,
          noUnusedParameters: true,
          skipLibCheck: true,
          // the user's project would have its own @types; ours stand in for them (type roots only, no code)
          typeRoots: [join(root, "node_modules", "@types")],
          types: ["node", "jest"],
        },
        include: ["adapters"],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", consumer], {
      cwd: consumer,
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);

    const config = join(work, "jest.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        rootDir: consumer,
        testEnvironment: "node",
        transform: {},
        testMatch: ["<rootDir>/adapters/**/*.test.js"],
        watchman: false,
        cacheDirectory: join(work, "jest-cache"),
      }),
    );
    const report = join(work, "report.json");
    const jest = spawnSync(
      process.execPath,
      [
        join(root, "node_modules", "jest", "bin", "jest.js"),
        "--config",
        config,
        "--ci",
        "--json",
        `--outputFile=${report}`,
      ],
      {
        cwd: consumer,
        env: cleanEnv,
        encoding: "utf8",
      },
    );
    expect(jest.status).toBe(1);
    const results = JSON.parse(readFileSync(report, "utf8")) as {
      numTotalTests: number;
      testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[];
    };
    const assertions = results.testResults.flatMap((file) => file.assertionResults);
    const failed = Object.fromEntries(
      assertions
        .filter((a) => a.status === "failed")
        .map((a) => [a.title, a.failureMessages.join("\n").split("\n")[0]]),
    );
    expect(Object.keys(failed).sort()).toEqual(Object.keys(LEFT_TO_WRITE).sort());
    for (const [title, says] of Object.entries(LEFT_TO_WRITE)) expect(failed[title]).toMatch(says);
    // everything else the suite checks already holds for the stub: signatures, bad bodies, unknown kinds, goldens
    expect(assertions.filter((a) => a.status === "passed").length).toBeGreaterThanOrEqual(10);
  }, 240_000);
});

describe("convotic new-adapter in an ES-module project, run with node --test", () => {
  it("writes ES-module files that need only convotic, compile under nodenext, and run under node:test as they are", () => {
    const esm = join(consumer, "esm-project");
    mkdirSync(esm);
    writeFileSync(join(esm, "package.json"), JSON.stringify({ name: "esm-project", private: true, type: "module" }));
    // the bin of the parent project's install, as npx would find it
    const made = spawnSync(
      process.execPath,
      [join(consumer, "node_modules", "convotic", "dist", "cli", "main.js"), "new-adapter", "acme"],
      {
        cwd: esm,
        env: cleanEnv,
        encoding: "utf8",
      },
    );
    expect(made.status).toBe(0);
    expect(made.stderr).toMatch(/^ES module files/);
    const sources = readdirSync(join(esm, "adapters", "acme")).map((name) =>
      readFileSync(join(esm, "adapters", "acme", name), "utf8"),
    );
    for (const text of sources) {
      expect(text).not.toMatch(/from "zod"/);
      expect(text).not.toMatch(/__dirname/);
      // relative imports carry their extension, as Node's ES modules require
      for (const [, spec] of text.matchAll(/from "(\.[^"]*)"/g)) expect(spec).toMatch(/\.js$/);
    }
    writeFileSync(
      join(esm, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          typeRoots: [join(root, "node_modules", "@types")],
          types: ["node"],
        },
        include: ["adapters"],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", esm], {
      cwd: esm,
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
    const run = spawnSync(
      process.execPath,
      ["--test", "--test-reporter=tap", join("adapters", "acme", "acme.conformance.test.js")],
      {
        cwd: esm,
        env: cleanEnv,
        encoding: "utf8",
      },
    );
    const failed = [...run.stdout.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((match) => match[1]!.trim());
    // the suite's describe fails as a whole when one of its tests does, and so does the file
    expect(failed.filter((title) => Object.keys(LEFT_TO_WRITE).includes(title)).sort()).toEqual(
      Object.keys(LEFT_TO_WRITE).sort(),
    );
    expect(
      failed.filter((title) => !Object.keys(LEFT_TO_WRITE).includes(title) && !/conformance|\.js$/.test(title)),
    ).toEqual([]);
    expect([...run.stdout.matchAll(/^\s*ok \d+ - /gm)].length).toBeGreaterThanOrEqual(10);
    expect(run.status).toBe(1);
  }, 240_000);
});
