import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { EVENT_TYPES, UnifiedEventSchema, type EventType, type UnifiedEvent } from "../core";
import { applicationExample } from "../docs/examples";
import { goldenPathOf, rawBodyFiles } from "../testing/fixtures";

export interface Example {
  readonly event: UnifiedEvent;
  /** `fixtures/<platform>/<case>.golden.json`, or `createEvent` for an application example */
  readonly source: string;
}

/**
 * One example envelope per type: the shortest envelope of that type in the bundled fixture goldens (short reads
 * best), else the application example built with `createEvent`. Platforms in the order given, files by name.
 */
export function loadExamples(fixturesRoot: string, platforms: readonly string[]): Map<EventType, Example> {
  const best = new Map<EventType, Example & { size: number }>();
  for (const platform of platforms) {
    for (const file of rawBodyFiles(join(fixturesRoot, platform))) {
      const goldenPath = goldenPathOf(file);
      let golden: { events?: unknown[] };
      try {
        golden = JSON.parse(readFileSync(goldenPath, "utf8")) as { events?: unknown[] };
      } catch {
        continue; // a body without a golden yet is not an example
      }
      for (const candidate of golden.events ?? []) {
        const parsed = UnifiedEventSchema.safeParse(candidate);
        if (!parsed.success) continue;
        const size = JSON.stringify(parsed.data).length;
        const current = best.get(parsed.data.type);
        if (current === undefined || size < current.size) {
          best.set(parsed.data.type, {
            event: parsed.data,
            source: `fixtures/${platform}/${basename(goldenPath)}`,
            size,
          });
        }
      }
    }
  }
  const examples = new Map<EventType, Example>();
  for (const type of EVENT_TYPES) {
    const fromFixture = best.get(type);
    const fromApplication = fromFixture === undefined ? applicationExample(type) : undefined;
    if (fromFixture !== undefined) examples.set(type, { event: fromFixture.event, source: fromFixture.source });
    else if (fromApplication !== undefined) examples.set(type, { event: fromApplication, source: "createEvent" });
  }
  return examples;
}
