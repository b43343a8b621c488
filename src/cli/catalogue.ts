import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { catalogueMarkdown, catalogueRows } from "./catalogue-docs";
import { envelopeSchemas, isEventType, messageOf, UnifiedEventSchema, type AdapterRegistry } from "../core";
import { exportedSchemas } from "../docs/json-schema";
import { loadExamples } from "./examples";
import { CliError, EXIT, line, type CliIO } from "./io";

/** `convotic types [--json]`: every catalogue type with its domain and the adapters that emit it. */
export function typesCommand(args: string[], io: CliIO, adapters: AdapterRegistry): number {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  const rows = catalogueRows(adapters);
  if (values.json === true) {
    io.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((row) => row.type.length));
  for (const row of rows) {
    const from = row.adapters.length > 0 ? row.adapters.join(",") : "(application)";
    line(
      io.stdout,
      `${row.type.padEnd(width)}  ${row.domain.padEnd(10)}  ${row.extension ? "extension" : "core     "}  ${from}`,
    );
  }
  line(
    io.stderr,
    `${rows.length} types (${rows.filter((row) => !row.extension).length} core, ${rows.filter((row) => row.extension).length} extensions)`,
  );
  return EXIT.ok;
}

const schemaUsage = "usage: convotic schema [TYPE] | convotic schema --out DIR";

/**
 * `convotic schema [TYPE]`: JSON Schema of one envelope type, or of the whole envelope union.
 * `convotic schema --out DIR`: every exported schema (2020-12) as `DIR/<name>.json`, see src/docs/json-schema.ts.
 */
export async function schemaCommand(args: string[], io: CliIO): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { out: { type: "string", short: "o" } },
  });
  if (values.out !== undefined) {
    if (positionals.length > 0)
      throw new CliError(`--out writes every schema; drop "${positionals[0]}"\n${schemaUsage}`, EXIT.usage);
    const written = await writeSchemas(values.out);
    line(io.stderr, `wrote ${written} schemas to ${values.out}`);
    return EXIT.ok;
  }
  const [type, ...rest] = positionals;
  if (rest.length > 0) throw new CliError(`one TYPE at a time\n${schemaUsage}`, EXIT.usage);
  if (type !== undefined && !isEventType(type)) {
    throw new CliError(`unknown event type "${type}" (see: convotic types)`, EXIT.usage);
  }
  const schema = type === undefined ? UnifiedEventSchema : envelopeSchemas[type];
  io.stdout.write(JSON.stringify(z.toJSONSchema(schema), null, 2) + "\n");
  return EXIT.ok;
}

async function writeSchemas(dir: string): Promise<number> {
  const all = exportedSchemas();
  try {
    await mkdir(dir, { recursive: true });
    for (const { name, schema } of all)
      await writeFile(join(dir, `${name}.json`), JSON.stringify(schema, null, 2) + "\n");
  } catch (error) {
    throw new CliError(`cannot write schemas to ${dir}: ${messageOf(error)}`, EXIT.input);
  }
  return all.length;
}

/**
 * `convotic docs [--out FILE]`: the generated event catalogue in Markdown (the committed docs/events.md), with
 * examples from the fixture goldens.
 */
export async function docsCommand(
  args: string[],
  io: CliIO,
  adapters: AdapterRegistry,
  fixturesRoot: string,
): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: "string", short: "o" } } });
  const markdown = catalogueMarkdown(adapters, loadExamples(fixturesRoot, Object.keys(adapters)));
  if (values.out === undefined) {
    io.stdout.write(markdown);
    return EXIT.ok;
  }
  if (values.out === "") throw new CliError("--out needs a file name", EXIT.usage);
  try {
    await writeFile(values.out, markdown);
  } catch (error) {
    throw new CliError(`cannot write ${values.out}: ${messageOf(error)}`, EXIT.input);
  }
  line(io.stderr, `wrote ${values.out}`);
  return EXIT.ok;
}
