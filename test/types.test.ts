import { join } from "node:path";
import ts from "typescript";

/*
 * ts-jest only transpiles (the project uses isolatedModules), so type tests are compiled here with the
 * project's own compiler options: an unmet @ts-expect-error or a broken narrowing is a failing test.
 */
const root = join(__dirname, "..");

function diagnosticsOf(files: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (config === undefined) throw new Error("tsconfig.json could not be read");
  const program = ts.createProgram(files, { ...config.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
}

describe("type tests", () => {
  it("router narrowing, createEvent and the registry compile exactly as pinned", () => {
    expect(diagnosticsOf([join(__dirname, "types", "router-narrowing.ts")])).toEqual([]);
  }, 60_000);

  it("the entry points take only registered platforms, each with its own secrets type", () => {
    expect(diagnosticsOf([join(__dirname, "types", "entry-points.ts")])).toEqual([]);
  }, 60_000);
});
