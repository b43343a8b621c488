#!/usr/bin/env node
import { join } from "node:path";
import { adapters } from "../adapters";
import { createNormalizer } from "../core";
import { docsCommand, schemaCommand, typesCommand } from "./catalogue";
import { demoCommand } from "./demo";
import { CliError, EXIT, line, type CliIO } from "./io";
import { normalizeCommand } from "./normalize";

const USAGE = `usage: convotic <command> [options]

commands:
  normalize --platform <name> [--workspace <id>] [--block <id>] [--received-at <iso>] [FILE|-]
                  normalise one raw webhook body; envelopes as a JSON array on stdout
  types [--json]  list every event type, its domain and the adapters that emit it
  schema [TYPE]   print the JSON Schema of one event type, or of the envelope union
  demo [--platform <name>]
                  normalise the bundled fixtures and print one envelope per line
  docs            print the generated event catalogue (docs/events.md)

exit codes: 0 ok, 1 bad input, 2 bad usage`;

const FIXTURES_ROOT = join(__dirname, "..", "..", "fixtures");

/** Runs one CLI invocation and resolves to its exit code; never throws for expected failures. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv;
  const normalizer = createNormalizer({ adapters });
  try {
    switch (command) {
      case "normalize":
        return await normalizeCommand(args, io, normalizer);
      case "types":
        return typesCommand(args, io, adapters);
      case "schema":
        return schemaCommand(args, io);
      case "demo":
        return demoCommand(args, io, normalizer, FIXTURES_ROOT);
      case "docs":
        return docsCommand(args, io, adapters);
      case "help":
      case "--help":
      case "-h":
        line(io.stdout, USAGE);
        return EXIT.ok;
      default:
        throw new CliError(command === undefined ? "no command given" : `unknown command "${command}"`, EXIT.usage);
    }
  } catch (error) {
    if (error instanceof CliError) {
      line(io.stderr, `convotic: ${error.message}`);
      if (error.exitCode === EXIT.usage && !error.message.includes("usage:")) line(io.stderr, USAGE);
      return error.exitCode;
    }
    // parseArgs rejects unknown or malformed flags with a TypeError carrying an ERR_PARSE_ARGS_* code
    if (error instanceof TypeError && String((error as { code?: unknown }).code ?? "").startsWith("ERR_PARSE_ARGS")) {
      line(io.stderr, `convotic: ${error.message}`);
      line(io.stderr, USAGE);
      return EXIT.usage;
    }
    throw error;
  }
}

if (require.main === module) {
  // a closed pipe (`convotic types | head`) is the reader's choice, not an error
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });
  run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`convotic: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT.input;
    },
  );
}
