import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConvoticError, isTimestamp, messageOf, type ContextInput, type Normalizer } from "../core";
import { defaultContext, fixtureContentType, isRawBodyFile } from "../testing/fixtures";
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
  if (positionals.length > 1) throw new CliError(`one FILE at a time\n${normalizeUsage}`, EXIT.usage);
  if (values.platform !== undefined && !normalizer.platforms.includes(values.platform)) {
    const platform = values.platform;
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

  const context = (platform: string) => ({
    ...defaultContext(platform),
    ...(values.workspace === undefined ? {} : { workspace_id: values.workspace }),
    ...(values.block === undefined ? {} : { block_id: values.block }),
    received_at: receivedAt ?? new Date().toISOString(),
  });
  const platform = values.platform ?? detectPlatform(normalizer, body, context, io);
  try {
    // a stored body's extension says how it was posted (`.form`, `.xml`); stdin leaves it to the adapter
    const contentType = source !== "-" && isRawBodyFile(source) ? fixtureContentType(source) : undefined;
    const result = normalizer.normalize(platform, body, context(platform), contentType);
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

/**
 * The platform a body comes from, by its shape: every adapter's own schema and normaliser is tried, and the one
 * platform that takes the body without an error and maps the most of it (events before unhandled items) wins.
 * No platform is named here, so an adapter from a config or a new built-in is detected the same way. The choice is
 * said on stderr; a body two platforms take equally well is refused, naming both.
 */
export function detectPlatform(
  normalizer: Normalizer,
  body: Buffer,
  context: (platform: string) => ContextInput,
  io: CliIO,
): string {
  const takers: { platform: string; events: number; unhandled: number }[] = [];
  for (const platform of normalizer.platforms) {
    try {
      const result = normalizer.normalize(platform, body, context(platform));
      takers.push({ platform, events: result.events.length, unhandled: result.unhandled.length });
    } catch {
      // not this platform's body
    }
  }
  takers.sort((a, b) => b.events - a.events || a.unhandled - b.unhandled);
  const [best, next] = takers;
  if (best === undefined)
    throw new CliError(
      `no platform takes this body (tried ${normalizer.platforms.join(", ")}); pass --platform to see why`,
      EXIT.input,
    );
  if (next !== undefined && next.events === best.events && next.unhandled === best.unhandled) {
    const tied = takers.filter((taker) => taker.events === best.events && taker.unhandled === best.unhandled);
    throw new CliError(
      `the body fits ${tied.map((taker) => taker.platform).join(" and ")} equally well: pass --platform`,
      EXIT.input,
    );
  }
  line(io.stderr, `platform: ${best.platform} (detected from the body's shape; --platform to choose)`);
  return best.platform;
}
