import { spawnSync } from "node:child_process";
import { join } from "node:path";

/*
 * The import walls of docs/architecture.md, as `npm run lint` meets them: the real eslint binary with the repository's
 * eslint.config.mjs, linting a planted import as if it sat at the given path (`--stdin-filename`).
 */
const root = join(__dirname, "..");
const eslint = join(root, "node_modules", ".bin", "eslint");

function lint(path: string, source: string): { code: number | null; output: string } {
  const run = spawnSync(eslint, ["--stdin", "--stdin-filename", path], {
    cwd: root,
    input: source,
    encoding: "utf8",
  });
  return { code: run.status, output: run.stdout + run.stderr };
}

const importing = (from: string) => `import { x } from "${from}";\nexport const y = x;\n`;

describe("the import walls", () => {
  it.each([
    ["src/core/planted.ts", "../http/handler", /core imports nothing above it/],
    ["src/core/engine/planted.ts", "../../delivery", /the engine room is part of core/],
    ["src/adapters/viber/planted.ts", "../../core/engine", /reach the engine room only through the builder/],
    ["src/adapters/viber/planted.ts", "../line/normalize", /no adapter imports another/],
    ["src/adapters/viber/planted.ts", "../../http", /adapters import core only/],
    ["src/adapters/viber/planted.ts", "../../core", /import core's values by module path/],
    ["src/http/planted.ts", "../testing/fixtures", /only the CLI .* imports the test kit/],
    ["src/http/planted.ts", "../inspect", /only the CLI and the public entries import the inspector/],
  ])(
    "refuses %s importing %s",
    (path, from, message) => {
      const { code, output } = lint(path, importing(from));
      expect(output).toMatch(message);
      expect(code).toBe(1);
    },
    60_000,
  );

  it.each([
    ["src/adapters/viber/planted.ts", "../../core/objects"],
    ["src/adapters/viber/planted.ts", "../../core/adapter-kit"],
    ["src/adapters/instagram/planted.ts", "../meta-shared"],
    ["src/cli/planted.ts", "../testing/fixtures"],
    ["src/core/planted.ts", "./engine"],
  ])(
    "lets %s import %s",
    (path, from) => {
      expect(lint(path, importing(from))).toEqual({ code: 0, output: "" });
    },
    60_000,
  );

  it("lets an adapter import types from core's index", () => {
    const source = `import type { NormalizeResult } from "../../core";\nexport type Y = NormalizeResult;\n`;
    expect(lint("src/adapters/viber/planted.ts", source)).toEqual({ code: 0, output: "" });
  }, 60_000);
});
