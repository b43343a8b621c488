import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isTimestamp, type Normalizer } from "../core";
import { COMMANDS } from "./commands";
import { defaultContext, fixtureContentType, rawBodyFiles } from "../testing/fixtures";
import { CliError, EXIT, line, type CliIO } from "./io";

const demoUsage = `usage: ${COMMANDS.demo.usage}`;

/**
 * `convotic demo`: runs every bundled fixture through the pipeline and prints each envelope as one JSON line,
 * so a fresh clone shows what the library emits without any configuration. With `--received-at` the output is
 * byte-for-byte reproducible (events without a platform time take the receive time).
 */
export function demoCommand(args: string[], io: CliIO, normalizer: Normalizer, fixturesRoot: string): number {
  const { values } = parseArgs({
    args,
    options: { platform: { type: "string", short: "p" }, "received-at": { type: "string" } },
  });
  const platform = values.platform;
  if (platform !== undefined && !normalizer.platforms.includes(platform)) {
    throw new CliError(
      `unknown platform "${platform}" (available: ${normalizer.platforms.join(", ")})\n${demoUsage}`,
      EXIT.usage,
    );
  }
  const receivedAt = values["received-at"];
  if (receivedAt !== undefined && !isTimestamp(receivedAt)) {
    throw new CliError(`--received-at is not a timestamp: ${receivedAt}\n${demoUsage}`, EXIT.usage);
  }
  const platforms = platform === undefined ? normalizer.platforms : [platform];
  let events = 0;
  let unhandled = 0;
  for (const name of platforms) {
    for (const file of rawBodyFiles(join(fixturesRoot, name))) {
      const context = {
        // the goldens' workspace and block, as in normalize and replay: one fixture, the same ids in every command
        workspace_id: defaultContext(name).workspace_id,
        block_id: defaultContext(name).block_id,
        ...(receivedAt === undefined ? {} : { received_at: receivedAt }),
      };
      const result = normalizer.normalize(name, readFileSync(file), context, fixtureContentType(file));
      for (const event of result.events) line(io.stdout, JSON.stringify(event));
      events += result.events.length;
      unhandled += result.unhandled.length;
    }
  }
  line(
    io.stderr,
    `demo: ${events} event(s) and ${unhandled} unhandled from the bundled fixtures of ${platforms.join(", ")}`,
  );
  return EXIT.ok;
}
