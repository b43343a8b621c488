import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

/*
 * Every ```ts block (a ```text block is a listing, not code) of the user-facing docs is compiled against the real source, so an example that no
 * longer matches the API fails here instead of misleading a reader. Names an example uses without defining
 * (the request body, headers, blocks…) are declared with the types a reader would have.
 */
const root = join(__dirname, "..");
const DOCS = ["README.md", "docs/http.md"];

const AMBIENT: Readonly<Record<string, string>> = {
  rawBody: "Uint8Array",
  headers: "Record<string, string>",
  blocks: "unknown[]",
  router: 'import("convotic").Router',
  contact_id: "string",
  conversation_id: "string",
};

function examples(file: string): { name: string; code: string }[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match, index) => ({ name: `${file}#${index + 1}`, code: match[1]! }));
}

function compile(snippets: { name: string; code: string }[]): string[] {
  const dir = mkdtempSync(join(root, ".examples-"));
  try {
    const files = snippets.map((snippet, index) => {
      const declared = (name: string) =>
        new RegExp(`\\b(const|let|var|function)\\s+${name}\\b|import\\s*\\{[^}]*\\b${name}\\b`).test(snippet.code);
      const prelude = Object.entries(AMBIENT)
        .filter(([name]) => new RegExp(`\\b${name}\\b`).test(snippet.code) && !declared(name))
        .map(([name, type]) => `declare const ${name}: ${type};`)
        .join("\n");
      const path = join(dir, `example-${index + 1}.mts`);
      writeFileSync(path, `${snippet.code}\n${prelude}\nexport {};\n`);
      return { path, name: snippet.name };
    });
    const program = ts.createProgram(
      files.map((file) => file.path),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        paths: { convotic: [join(root, "src", "index.ts")] },
      },
    );
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const source = files.find((file) => file.path === diagnostic.file?.fileName)?.name ?? diagnostic.file?.fileName ?? "";
      return `${source}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("documentation examples", () => {
  const snippets = DOCS.flatMap(examples);

  it("exist", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it("compile against the current API", () => {
    expect(compile(snippets)).toEqual([]);
  }, 60_000);

  it("would catch an example that drifted from the API", () => {
    const drifted = [{ name: "drift", code: 'import { createRouter } from "convotic";\ncreateRouter().on("messaging.message.recieved", () => {});\n' }];
    const errors = compile(drifted);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^drift: Argument of type '"messaging\.message\.recieved"' is not assignable/);
  }, 60_000);
});
