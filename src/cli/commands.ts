/**
 * The formats `replay --format` offers, from the format registry. Read only when replay's help is shown: the
 * registry loads the formats (and zod), which `convotic --version` and the other commands' help do not need.
 */
const reviewFormats = () =>
  (require("../formats/output") as typeof import("../formats/output")).REVIEW_FORMATS.join("|");

/**
 * Each command's usage and help, printed by `convotic <command> --help` (exit 0) and, for bad usage, on stderr
 * with exit 2. Kept beside each other so `convotic --help` and the per-command help cannot disagree.
 */
export interface CommandHelp {
  readonly usage: string;
  readonly summary: string;
  readonly options: readonly (readonly [flag: string, description: string])[];
}

export const COMMANDS = {
  normalize: {
    usage: "convotic normalize [--platform <name>] [--workspace <id>] [--block <id>] [--received-at <iso>] [FILE|-]",
    summary:
      "normalise one raw webhook body (a file, or stdin); envelopes as a JSON array on stdout, a summary on stderr",
    options: [
      ["-p, --platform <name>", "the platform that sent the body (default: detected from its shape, said on stderr)"],
      ["-w, --workspace <id>", "workspace_id of the envelopes (default ws_test, as in the goldens, demo and replay)"],
      ["-b, --block <id>", "block_id of the envelopes (default blk_<platform>_test)"],
      ["--received-at <iso>", "the receive time, for events without a platform time (default now)"],
    ],
  },
  types: {
    usage: "convotic types [--json]",
    summary: "list every event type, its domain, core or extension, and the adapters that emit it",
    options: [["--json", "print the rows as a JSON array"]],
  },
  schema: {
    usage: "convotic schema [TYPE] | convotic schema --out DIR",
    summary: "print the JSON Schema of one event type's envelope, or of the envelope union",
    options: [
      [
        "-o, --out DIR",
        "write every JSON Schema (2020-12): each event type, the envelope union, the thread-style events",
      ],
    ],
  },
  asyncapi: {
    usage: "convotic asyncapi [--out FILE]",
    summary: "print (or write) the AsyncAPI 3.0 document of the forwarding webhooks, derived from the catalogue",
    options: [["-o, --out FILE", "write it to FILE instead of stdout"]],
  },
  demo: {
    usage: "convotic demo [--platform <name>] [--received-at <iso>]",
    summary: "normalise the bundled fixtures and print one envelope per line",
    options: [
      ["-p, --platform <name>", "only this platform's fixtures (default: every platform)"],
      ["--received-at <iso>", "the receive time, for events without a platform time: pin it for reproducible output"],
    ],
  },
  docs: {
    usage: "convotic docs [--out FILE]",
    summary: "print the event catalogue in Markdown (docs/events.md is this output; npm run docs regenerates it)",
    options: [["-o, --out FILE", "write it to FILE instead of stdout"]],
  },
  serve: {
    usage:
      "convotic serve [--config FILE] [--port N] [--host HOST] [--ops-port N [--ops-host HOST]] [--log-format json|text] [--log-level LEVEL] [--inspect]",
    summary:
      "run the webhook server for the blocks of a config file; events go to the config's sinks (default: JSON lines\n" +
      "on stdout), logs on stderr;\n" +
      "GET /healthz, /readyz and /metrics (Prometheus) beside the webhook routes, or on --ops-port;\n" +
      "SIGTERM or Ctrl-C finishes in-flight requests and the sinks within shutdown_grace, then exits 0, or 3 naming\n" +
      "what it abandoned (also when stdout's reader dies); further signals meanwhile are logged, SIGKILL stops at once",
    options: [
      ["-c, --config FILE", "the config file (default ./convotic.config.json)"],
      ["-p, --port N", "the port: --port, then the PORT variable, then the config, then 3000 (0 picks a free one)"],
      [
        "--host HOST",
        "the interface to listen on: --host, then the HOST variable, then 127.0.0.1 (0.0.0.0 in a container)",
      ],
      [
        "--ops-port N",
        "serve /healthz, /readyz and /metrics on this port only (the config's ops.port); 404 on the webhook port",
      ],
      ["--ops-host HOST", "the interface of the ops port (default the config's ops.host, then 127.0.0.1)"],
      ["--log-format json|text", "logs on stderr as JSON objects (one per line) or text lines (default text)"],
      ["--log-level LEVEL", "debug, info (default), warn or error; debug adds a line per request with duplicates"],
      [
        "--inspect",
        "development tool: a page at /_convotic listing requests live, explaining failed signatures, replaying them",
      ],
      ["--inspect-allow-remote", "let --inspect run on a non-loopback --host and answer other machines (unsafe)"],
      [
        "--inspect-fixtures DIR",
        'where the inspector\'s "save as fixture" writes <platform>/<case>.json (default fixtures)',
      ],
    ],
  },
  consume: {
    usage:
      "convotic consume [--config FILE] [--stream NAME] [--durable NAME] [--servers URL]... [--filter TYPE]... [--redis URL] [options]",
    summary:
      "consume the events a jetstream sink published, as a durable JetStream consumer; events as JSON lines on stdout\n" +
      "(what serve prints), each acknowledged once written and the ack confirmed; SIGTERM or Ctrl-C stops after printing\n" +
      "what was delivered already (docs/scaling.md)",
    options: [
      [
        "-c, --config FILE",
        "serve's config file: NATS and stream from its jetstream sink, Redis from idempotency, the rest from consume",
      ],
      ["--stream NAME", "the stream of the jetstream sink (required, here or in --config)"],
      [
        "-d, --durable NAME",
        "the durable consumer: a restart with the same name resumes where it stopped (required, here or in --config)",
      ],
      ["-s, --servers URL", "a NATS server, repeatable (default --config, then NATS_URL, then nats://127.0.0.1:4222)"],
      ["-f, --filter TYPE", "an event type or pattern such as messaging.*, repeatable (default every type)"],
      ["--subject-prefix P", "the sink's subject_prefix (default convotic/adapters)"],
      ["--ack-wait DUR", "how long the server waits for an ack before redelivering (default 30s)"],
      ["--max-deliver N", "deliveries before an event is dead-lettered (default 5)"],
      ["--dead-letter-subject S", "where events that keep failing go (default convotic_dead_letter.<durable>)"],
      [
        "--redis URL",
        "claim each event id in Redis before printing, commit after: a kill before the ack does not print it twice",
      ],
      ["--lease DUR", "how long a claim holds an event whose consumer was killed (default the ack-wait)"],
      [
        "--partitions N",
        "one conversation in order: the sink's partitions (default the file's jetstream sink); a durable per partition",
      ],
      ["--only LIST", "with --partitions: the partitions this process pulls, e.g. 0,3,6 (default all)"],
      ["--max-ack-pending N", "with --partitions: unacked events per partition (default 1; above 1 needs --only)"],
      [
        "--reorder-window DUR",
        "with --partitions: hold events this long, handle each conversation's in timestamp order",
      ],
    ],
  },
  replay: {
    get usage() {
      return (
        `convotic replay FILE|DIR... [--platform NAME] [--config FILE] [--update] [--format ${reviewFormats()}] [--subscriber NAME]\n` +
        "       convotic replay FILE|DIR... --to URL [--block ID] [--config FILE]\n" +
        "       convotic replay --dead-letter FILE --secret-env NAME [--to URL]"
      );
    },
    summary:
      "without --to: normalise stored raw bodies and diff them against the goldens beside them (exit 1 on a difference);\n" +
      "with --to: POST them to a running server, signed with the block's secrets from the config (a bare origin gets\n" +
      "/webhooks/<block id>; stops after 3 connection failures in a row);\n" +
      "with --dead-letter: send a webhook sink's dead letters again (same webhook-id), signed with the whsec_ secrets in $NAME",
    get options() {
      return [
        ["--platform NAME", "the platform of bodies that are not in a folder named after it"],
        ["--update", "rewrite the golden files instead of comparing"],
        [`--format ${reviewFormats()}`, "print the envelopes projected into another format"],
        ["--subscriber NAME", "the subscriber whose delivery ids --format thread uses"],
        ["--to URL", "the server to POST to"],
        ["-b, --block ID", "send every body to this block (default: the block of the file's folder name)"],
        [
          "-c, --config FILE",
          "with --to: the blocks and their secrets (default ./convotic.config.json; only the blocks' ${VAR} must be set);\n" +
            "without: the config's adapters, so --platform and folder names can be custom platforms",
        ],
      ] as const;
    },
  },
  trigger: {
    usage:
      "convotic trigger <event-type> --platform <name> [--to URL] [--block ID] [--config FILE | --secret S] [--fixture CASE] [--fixtures DIR]",
    summary:
      "send a signed webhook that produces the event type: the bundled fixture that produces it, signed as the platform\n" +
      "would (a block's secrets from the config, or --secret), POSTed to --to; without --to, printed as a curl command",
    options: [
      ["-p, --platform <name>", "the platform that sends it (required)"],
      ["--to URL", "POST it there (a bare origin gets /webhooks/<block id>); default: print a curl command instead"],
      ["-b, --block ID", "the block whose secrets sign it and whose route it goes to (default the platform's first)"],
      [
        "-c, --config FILE",
        "the config with the blocks (default ./convotic.config.json, else the bundled examples/convotic.config.json)",
      ],
      ["--secret S", "sign with this secret instead of a config's (every secret field of the platform gets it)"],
      ["--fixture CASE", "send fixtures/<platform>/CASE.* instead of the one picked for the type"],
      ["--fixtures DIR", "look for <platform>/<case>.* with goldens in DIR (your own adapter's fixtures)"],
    ],
  },
  check: {
    usage: "convotic check [--config FILE] [--probe]",
    summary:
      "validate a serve config: every ${VAR} reference, every secret's shape, the blocks, sinks and stores; one line\n" +
      "per problem on stderr, exit 1 if there is any; --probe also connects to Redis, NATS and the webhook sinks",
    options: [
      ["-c, --config FILE", "the config file (default ./convotic.config.json)"],
      ["--probe", "connect to every store and sink (Redis PING, NATS connect, webhook URL HEAD), 3 s each"],
    ],
  },
  drift: {
    usage: "convotic drift FILE|DIR... [--platform NAME] [--json]",
    summary:
      "summarise stored raw bodies' drift: the fields and values their platform's catalogue does not know, each path\n" +
      "with its count, the number of bodies and one example (docs/drift.md); exit 0 whatever it finds",
    options: [
      ["-p, --platform NAME", "the platform of every body (default: the name of the folder each body is in)"],
      ["--json", "print the paths as a JSON array"],
    ],
  },
  coverage: {
    usage: "convotic coverage [--out FILE]",
    summary:
      "the platform × event type matrix of the adapters' coverage tables, each cell naming a row's fixture (docs/coverage.md is this output)",
    options: [["--out FILE", "write it to FILE instead of stdout"]],
  },
  "new-adapter": {
    usage:
      "convotic new-adapter <name> [--dir DIR] [--fixtures DIR] [--module esm|cjs] [--import-from MODULE] [--testing-from MODULE]",
    summary:
      "scaffold an adapter (schema, normalise, definition), a fixture with its golden and a conformance test that fails\n" +
      "only on what is left to write (docs/adding-an-adapter.md)",
    options: [
      ["--dir DIR", "where the adapter folder goes (default ./adapters)"],
      [
        "--module esm|cjs",
        "ES module or CommonJS files (default: the type in the project's package.json); either needs only convotic",
      ],
      ["--fixtures DIR", "where its fixtures folder goes (default ./fixtures)"],
      ["--import-from MODULE", "the module the adapter imports the contract from (default convotic/adapters)"],
      [
        "--testing-from MODULE",
        "the module the test imports the suite from (default convotic/testing, or <import-from>/testing)",
      ],
    ],
  },
} as const satisfies Record<string, CommandHelp>;

export type CommandName = keyof typeof COMMANDS;

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

export const EXIT_CODES =
  "exit codes: 0 ok, 1 bad input, 2 bad usage, 3 serve stopped abnormally (dead stdout, work abandoned)";

/** `convotic <command> --help`. */
export function commandHelp(name: CommandName): string {
  const command: CommandHelp = COMMANDS[name];
  const width = Math.max(0, ...command.options.map(([flag]) => flag.length));
  // a long description goes on in lines of its own, under its first
  const options = command.options.map(
    ([flag, description]) => `  ${flag.padEnd(width)}  ${description.split("\n").join(`\n${" ".repeat(width + 4)}`)}`,
  );
  return [
    `usage: ${command.usage}`,
    "",
    command.summary,
    ...(options.length > 0 ? ["", "options:", ...options] : []),
    "",
    EXIT_CODES,
  ].join("\n");
}

/** `convotic --help`. */
export function overview(): string {
  const commands = Object.values(COMMANDS).map(
    (command: CommandHelp) =>
      `  ${command.usage}\n${command.summary
        .split("\n")
        .map((text) => `      ${text}`)
        .join("\n")}`,
  );
  return [
    "usage: convotic <command> [options]",
    "",
    "commands:",
    ...commands,
    "",
    "convotic <command> --help shows a command's options; convotic --version prints the version.",
    EXIT_CODES,
  ].join("\n");
}
