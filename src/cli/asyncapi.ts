import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { EventType, UnifiedEvent } from "../core";
import { asyncApiDocument } from "../docs/asyncapi";
import { loadExamples } from "./examples";
import { CliError, EXIT, line, type CliIO } from "./io";

export const asyncapiUsage = "usage: convotic asyncapi [--out FILE]";

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "0.0.0";
}

/** `convotic asyncapi [--out FILE]`: the AsyncAPI 3.0 document of the webhook sink, as JSON. */
export async function asyncapiCommand(
  args: string[],
  io: CliIO,
  fixturesRoot: string,
  platforms: readonly string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string", short: "o" } },
  });
  if (positionals.length > 0)
    throw new CliError(`unexpected argument "${positionals[0]}"\n${asyncapiUsage}`, EXIT.usage);
  const examples = new Map<EventType, UnifiedEvent>(
    [...loadExamples(fixturesRoot, platforms)].map(([type, { event }]) => [type, event]),
  );
  const text = JSON.stringify(asyncApiDocument({ version: packageVersion(), examples }), null, 2) + "\n";
  if (values.out === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  try {
    await writeFile(values.out, text);
  } catch (error) {
    throw new CliError(`cannot write ${values.out}: ${(error as Error).message}`, EXIT.input);
  }
  line(io.stderr, `wrote ${values.out}`);
  return EXIT.ok;
}
