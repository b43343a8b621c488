#!/usr/bin/env node
import { join } from "node:path";
import { adapters } from "../adapters";
import { createNormalizer, messageOf } from "../core";
import { docsCommand, schemaCommand, typesCommand } from "./catalogue";
import { coverageCommand } from "./coverage";
import { demoCommand } from "./demo";
import { newAdapterCommand } from "./new-adapter";
import { CliError, EXIT, line, type CliIO } from "./io";
import { normalizeCommand } from "./normalize";
import { replayCommand } from "./replay";
import { serveCommand } from "./serve";

const USAGE = `usage: convotic <command> [options]

commands:
  normalize --platform <name> [--workspace <id>] [--block <id>] [--received-at <iso>] [FILE|-]
                  normalise one raw webhook body; envelopes as a JSON array on stdout
  types [--json]  list every event type, its domain and the adapters that emit it
  schema [TYPE]   print the JSON Schema of one event type, or of the envelope union
  demo [--platform <name>]
                  normalise the bundled fixtures and print one envelope per line
  docs            print the generated event catalogue (docs/events.md)
  serve [--config FILE] [--port N] [--host HOST]
                  run the webhook server for the blocks of a config file (default ./convotic.config.json);
                  events as JSON lines on stdout, logs on stderr; port: --port, then PORT, then the config, then 3000
  replay FILE|DIR... --to URL [--block ID] [--config FILE]
                  POST stored raw bodies to a running server, signed with the block's secrets from the config
  coverage [--out FILE]
                  the platform × event type matrix, each cell naming a fixture that proves it (docs/coverage.md)
  new-adapter <name> [--dir DIR] [--fixtures DIR]
                  scaffold an adapter, its fixtures and its conformance test (docs/adding-an-adapter.md)

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
      case "serve":
        return await serveCommand(args, io, normalizer, FIXTURES_ROOT);
      case "replay":
        return await replayCommand(args, io, normalizer);
      case "coverage":
        return coverageCommand(args, io, normalizer, adapters, FIXTURES_ROOT);
      case "new-adapter":
        return newAdapterCommand(args, io);
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
    // parseArgs rejects unknown or malformed flags with a TypeError carrying an ERR_PARSE_ARGS_* code (matched by
    // code, not `instanceof`, which fails across realms such as jest's test context)
    const parseError = error as { code?: unknown; message?: unknown } | null;
    if (typeof parseError?.code === "string" && parseError.code.startsWith("ERR_PARSE_ARGS")) {
      line(io.stderr, `convotic: ${String(parseError.message)}`);
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
  const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, signals: process };
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`convotic: internal error: ${messageOf(error)}\n`);
      process.exitCode = EXIT.input;
    },
  );
}
