import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Normalizer } from "../core";
import { rawBodyFiles } from "./fixtures";
import { EXIT, line, type CliIO } from "./io";

/**
 * `convotic demo`: runs every bundled fixture through the pipeline and prints each envelope as one JSON line,
 * so a fresh clone shows what the library emits without any configuration.
 */
export function demoCommand(args: string[], io: CliIO, normalizer: Normalizer, fixturesRoot: string): number {
  const { values } = parseArgs({ args, options: { platform: { type: "string", short: "p" } } });
  const platforms = values.platform === undefined ? normalizer.platforms : [values.platform];
  let events = 0;
  let unhandled = 0;
  for (const platform of platforms) {
    for (const file of rawBodyFiles(join(fixturesRoot, platform))) {
      const result = normalizer.normalize(platform, readFileSync(file), { workspace_id: "ws_demo", block_id: `blk_${platform}_demo` });
      for (const event of result.events) line(io.stdout, JSON.stringify(event));
      events += result.events.length;
      unhandled += result.unhandled.length;
    }
  }
  line(io.stderr, `demo: ${events} event(s) and ${unhandled} unhandled from the bundled fixtures of ${platforms.join(", ")}`);
  return EXIT.ok;
}
