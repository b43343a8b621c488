#!/usr/bin/env node
import { join } from "node:path";
import { adapters } from "../adapters";
import { createNormalizer, messageOf } from "../core";
import { docsCommand, schemaCommand, typesCommand } from "./catalogue";
import { asyncapiCommand } from "./asyncapi";
import { demoCommand } from "./demo";
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
  schema --out DIR
                  write every JSON Schema (2020-12): each event type, the envelope union, the thread-style events
  asyncapi [--out FILE]
                  print (or write) the AsyncAPI 3.0 document of the forwarding webhooks
  demo [--platform <name>]
                  normalise the bundled fixtures and print one envelope per line
  docs            print the generated event catalogue (docs/events.md)
  serve [--config FILE] [--port N] [--host HOST]
                  run the webhook server for the blocks of a config file (default ./convotic.config.json);
                  events as JSON lines on stdout, logs on stderr; port: --port, then PORT, then the config, then 3000
  replay FILE|DIR... [--platform NAME] [--update] [--format thread|cloudevents] [--subscriber NAME]
                  normalise stored raw bodies and diff them against the goldens beside them (exit 1 on a difference);
                  --update rewrites the goldens; --format prints the envelopes in another format
  replay FILE|DIR... --to URL [--block ID] [--config FILE]
                  POST stored raw bodies to a running server, signed with the block's secrets from the config
  replay --dead-letter FILE --secret-env NAME [--to URL]
                  send a webhook sink's dead letters again (same webhook-id), signed with the whsec_ secrets in $NAME

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
        return await schemaCommand(args, io);
      case "asyncapi":
        return await asyncapiCommand(args, io, FIXTURES_ROOT, normalizer.platforms);
      case "demo":
        return demoCommand(args, io, normalizer, FIXTURES_ROOT);
      case "docs":
        return docsCommand(args, io, adapters, FIXTURES_ROOT);
      case "serve":
        return await serveCommand(args, io, normalizer, FIXTURES_ROOT);
      case "replay":
        return await replayCommand(args, io, normalizer);
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
