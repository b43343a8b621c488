import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConvoticError, isTimestamp, messageOf, type Normalizer } from "../core";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, readAll, type CliIO } from "./io";

export const normalizeUsage = `usage: ${COMMANDS.normalize.usage}`;

/**
 * Reads one raw webhook body (a file, or stdin for `-` or no FILE), prints the envelopes as a JSON array on
 * stdout and a one-line summary on stderr. The body is trusted as given: this is for stored payloads.
 */
export async function normalizeCommand(args: string[], io: CliIO, normalizer: Normalizer): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      platform: { type: "string", short: "p" },
      workspace: { type: "string", short: "w" },
      block: { type: "string", short: "b" },
      "received-at": { type: "string" },
    },
  });
  const platform = values.platform;
  if (platform === undefined) throw new CliError(`--platform is required\n${normalizeUsage}`, EXIT.usage);
  if (positionals.length > 1) throw new CliError(`one FILE at a time\n${normalizeUsage}`, EXIT.usage);
  if (!normalizer.platforms.includes(platform)) {
    throw new CliError(`unknown platform "${platform}" (available: ${normalizer.platforms.join(", ")})`, EXIT.usage);
  }

  for (const flag of ["workspace", "block"] as const) {
    if (values[flag] === "") throw new CliError(`--${flag} may not be empty\n${normalizeUsage}`, EXIT.usage);
  }
  const receivedAt = values["received-at"];
  if (receivedAt !== undefined && !isTimestamp(receivedAt)) {
    throw new CliError(`--received-at is not a timestamp: ${receivedAt}\n${normalizeUsage}`, EXIT.usage);
  }
  const source = positionals[0] ?? "-";
  if (source === "-" && io.stdin.isTTY === true)
    throw new CliError(`no FILE given and stdin is a terminal\n${normalizeUsage}`, EXIT.usage);
  let body: Buffer;
  try {
    body = source === "-" ? await readAll(io.stdin) : await readFile(source);
  } catch (error) {
    throw new CliError(`cannot read ${source}: ${messageOf(error)}`, EXIT.input);
  }

  try {
    const result = normalizer.normalize(platform, body, {
      workspace_id: values.workspace ?? "ws_local",
      block_id: values.block ?? `blk_${platform}`,
      ...(receivedAt === undefined ? {} : { received_at: receivedAt }),
    });
    io.stdout.write(JSON.stringify(result.events, null, 2) + "\n");
    const kinds = result.unhandled.map((item) => item.kind);
    const drift = (result.drift ?? []).map((item) => item.path);
    line(
      io.stderr,
      `${result.events.length} event(s), ${kinds.length} unhandled${kinds.length > 0 ? `: ${kinds.join(", ")}` : ""}${drift.length > 0 ? `; drift: ${drift.join(", ")}` : ""}`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConvoticError) throw new CliError(error.message, EXIT.input);
    throw error;
  }
}
