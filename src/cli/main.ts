#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Normalizer } from "../core";
import { commandHelp, COMMANDS, isCommand, overview } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";

/*
 * Each command's module is required when that command runs, not at start: `convotic --version` or `--help` then
 * loads neither zod, the adapters nor serve's sinks, pino and prom-client (see "Load time" in the README).
 * `require` rather than `await import()`: the CLI is CommonJS, and jest runs `run()` in-process without ESM.
 */

const load = {
  adapters: () => (require("../adapters") as typeof import("../adapters")).adapters,
  coverageTables: () => (require("../adapters/coverage") as typeof import("../adapters/coverage")).COVERAGE,
  core: () => require("../core") as typeof import("../core"),
  asyncapi: () => require("./asyncapi") as typeof import("./asyncapi"),
  catalogue: () => require("./catalogue") as typeof import("./catalogue"),
  coverage: () => require("./coverage") as typeof import("./coverage"),
  demo: () => require("./demo") as typeof import("./demo"),
  newAdapter: () => require("./new-adapter") as typeof import("./new-adapter"),
  normalize: () => require("./normalize") as typeof import("./normalize"),
  replay: () => require("./replay") as typeof import("./replay"),
  drift: () => require("./drift") as typeof import("./drift"),
  serve: () => require("./serve") as typeof import("./serve"),
  consume: () => require("./consume") as typeof import("./consume"),
  trigger: () => require("./trigger") as typeof import("./trigger"),
  check: () => require("./check") as typeof import("./check"),
};

/** The normaliser over the built-in adapters, made only by the commands that normalise. */
const builtInNormalizer = (): Normalizer => load.core().createNormalizer({ adapters: load.adapters() });

const FIXTURES_ROOT = join(__dirname, "..", "..", "fixtures");
/** The config `npm start` serves: `trigger` signs with it when there is no ./convotic.config.json. */
const EXAMPLE_CONFIG = join(__dirname, "..", "..", "examples", "convotic.config.json");

/** The version of the installed package (dist/cli and src/cli are both two levels below package.json). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string };
  return manifest.version;
}

const wantsHelp = (args: readonly string[]) => {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
};

/** Runs one CLI invocation and resolves to its exit code; never throws for expected failures. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv;
  try {
    if (command !== undefined && isCommand(command) && wantsHelp(args)) {
      line(io.stdout, commandHelp(command));
      return EXIT.ok;
    }
    switch (command) {
      case "normalize":
        return await load.normalize().normalizeCommand(args, io, builtInNormalizer());
      case "types":
        return load.catalogue().typesCommand(args, io, load.adapters());
      case "schema":
        return await load.catalogue().schemaCommand(args, io);
      case "asyncapi":
        return await load.asyncapi().asyncapiCommand(args, io, FIXTURES_ROOT, builtInNormalizer().platforms);
      case "demo":
        return load.demo().demoCommand(args, io, builtInNormalizer(), FIXTURES_ROOT);
      case "docs":
        return await load.catalogue().docsCommand(args, io, load.adapters(), FIXTURES_ROOT);
      case "serve":
        return await load.serve().serveCommand(args, io, builtInNormalizer(), FIXTURES_ROOT);
      case "consume":
        return await load.consume().consumeCommand(args, io);
      case "replay":
        return await load.replay().replayCommand(args, io, builtInNormalizer());
      case "drift":
        return await load.drift().driftCommand(args, io, builtInNormalizer());
      case "coverage":
        return load.coverage().coverageCommand(args, io, load.coverageTables(), load.adapters());
      case "trigger":
        return await load
          .trigger()
          .triggerCommand(args, io, builtInNormalizer(), { fixtures: FIXTURES_ROOT, exampleConfig: EXAMPLE_CONFIG });
      case "check":
        return await load.check().checkCommand(args, io, builtInNormalizer());
      case "new-adapter":
        return load.newAdapter().newAdapterCommand(args, io);
      case "help":
      case "--help":
      case "-h": {
        const [topic] = args;
        if (topic !== undefined && !isCommand(topic)) throw new CliError(`unknown command "${topic}"`, EXIT.usage);
        line(io.stdout, topic === undefined ? overview() : commandHelp(topic));
        return EXIT.ok;
      }
      case "version":
      case "--version":
      case "-v":
        line(io.stdout, packageVersion());
        return EXIT.ok;
      default:
        throw new CliError(command === undefined ? "no command given" : `unknown command "${command}"`, EXIT.usage);
    }
  } catch (error) {
    // a command's own usage line follows its bad-usage errors; the overview follows the others
    const usage =
      command !== undefined && isCommand(command)
        ? `usage: ${COMMANDS[command].usage}\n(convotic ${command} --help for the options)`
        : overview();
    if (error instanceof CliError) {
      line(io.stderr, `convotic: ${error.message}`);
      if (error.exitCode === EXIT.usage && !error.message.includes("usage:")) line(io.stderr, usage);
      return error.exitCode;
    }
    // parseArgs rejects unknown or malformed flags with a TypeError carrying an ERR_PARSE_ARGS_* code (matched by
    // code, not `instanceof`, which fails across realms such as jest's test context)
    const parseError = error as { code?: unknown; message?: unknown } | null;
    if (typeof parseError?.code === "string" && parseError.code.startsWith("ERR_PARSE_ARGS")) {
      line(io.stderr, `convotic: ${String(parseError.message).split("\n")[0]}`);
      line(io.stderr, usage);
      return EXIT.usage;
    }
    throw error;
  }
}

/** `serve` handles its own stdout: a dead reader there is one error line and exit 3, not a quiet exit 0. */
function ownsStdout(argv: readonly string[]): boolean {
  const [command, ...args] = argv;
  return command === "serve" && !wantsHelp(args);
}

/** How long a finished `serve` waits for stderr to take its last log lines before it exits anyway. */
const EXIT_FLUSH_MS = 500;

/**
 * Ends the process once stderr has taken the last log lines, or after `EXIT_FLUSH_MS`: a stalled stdout reader
 * leaves a pending write (and a dependency its connection) that would keep the event loop, and so serve, alive
 * after it reported what it abandoned; the exit code would then wait on the reader.
 */
function exitOnceLogged(code: number): void {
  const exit = () => process.exit(code);
  setTimeout(exit, EXIT_FLUSH_MS);
  process.stderr.write("", exit);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const serving = ownsStdout(argv);
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    // serve's stdout sink listens too and stops serve with exit 3
    if (serving) return;
    // a closed pipe (`convotic types | head`) is the reader's choice, not an error
    if (error.code === "EPIPE") process.exit(EXIT.ok);
    throw error;
  });
  // a dead stderr reader loses the logs, but must not turn serve's exit code into a crash's
  if (serving) process.stderr.on("error", () => undefined);
  const io = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
  };
  run(argv, io).then(
    (code) => {
      process.exitCode = code;
      if (serving) exitOnceLogged(code);
    },
    (error: unknown) => {
      process.stderr.write(`convotic: internal error: ${load.core().messageOf(error)}\n`);
      process.exitCode = EXIT.input;
      if (serving) exitOnceLogged(EXIT.input);
    },
  );
}
