import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { catalogueMarkdown, catalogueRows } from "../catalogue-docs";
import { envelopeSchemas, isEventType, messageOf, UnifiedEventSchema, type AdapterRegistry } from "../core";
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
    line(io.stdout, `${row.type.padEnd(width)}  ${row.domain.padEnd(10)}  ${row.extension ? "extension" : "core     "}  ${from}`);
  }
  line(io.stderr, `${rows.length} types (${rows.filter((row) => !row.extension).length} core, ${rows.filter((row) => row.extension).length} extensions)`);
  return EXIT.ok;
}

/** `convotic schema [TYPE]`: JSON Schema of one envelope type, or of the whole envelope union. */
export function schemaCommand(args: string[], io: CliIO): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [type, ...rest] = positionals;
  if (rest.length > 0) throw new CliError("one TYPE at a time", EXIT.usage);
  if (type !== undefined && !isEventType(type)) {
    throw new CliError(`unknown event type "${type}" (see: convotic types)`, EXIT.usage);
  }
  const schema = type === undefined ? UnifiedEventSchema : envelopeSchemas[type];
  io.stdout.write(JSON.stringify(z.toJSONSchema(schema), null, 2) + "\n");
  return EXIT.ok;
}

/** `convotic docs [--out FILE]`: the generated event catalogue in Markdown (the committed docs/events.md). */
export async function docsCommand(args: string[], io: CliIO, adapters: AdapterRegistry): Promise<number> {
  const { values } = parseArgs({ args, options: { out: { type: "string", short: "o" } } });
  const markdown = catalogueMarkdown(adapters);
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
