import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Normalizer } from "../core";
import { EXIT, line, type CliIO } from "./io";

/** The fixtures shipped with the package: raw bodies under fixtures/<platform>/, golden files excluded. */
export function bundledFixtures(root: string, platform: string): string[] {
  const dir = join(root, platform);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json") && !file.endsWith(".golden.json"))
    .sort()
    .map((file) => join(dir, file));
}

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
    for (const file of bundledFixtures(fixturesRoot, platform)) {
      const result = normalizer.normalize(platform, readFileSync(file), { workspace_id: "ws_demo", block_id: `blk_${platform}_demo` });
      for (const event of result.events) line(io.stdout, JSON.stringify(event));
      events += result.events.length;
      unhandled += result.unhandled.length;
    }
  }
  line(io.stderr, `demo: ${events} event(s) and ${unhandled} unhandled from the bundled fixtures of ${platforms.join(", ")}`);
  return EXIT.ok;
}
