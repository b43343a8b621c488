import { z } from "zod";
import { isEventType } from "../../core";

/*
 * What a Meta product's documented webhook kinds become. Each adapter folder holds a `coverage.json` declaring
 * it; that file is the single source of the coverage table in docs/adapters/<platform>.md. The adapter's test
 * normalises each row's fixture and checks the row, and checks that the committed table is the declaration
 * rendered, so code, fixtures and docs cannot drift apart.
 */

/** One documented webhook kind: mapped to event types, or reported unhandled with a reason. */
export const CoverageRow = z.strictObject({
  /** the subscription field that delivers it (`messages`, `messaging_optins`, `feed`…) */
  field: z.string().min(1),
  /** what the item is (markdown) */
  item: z.string().min(1),
  /** the fixture (in fixtures/<platform>/) that shows it */
  fixture: z.string().min(1),
  /** the event types it maps to, in order */
  events: z.array(z.string().refine(isEventType, "not a catalogue event type")).min(1).optional(),
  /** reported unhandled: the record's `kind` (`<x>` stands for one dotted segment) and why */
  reported: z.strictObject({ kind: z.string().min(1), why: z.string().min(1) }).optional(),
});
export type CoverageRow = z.output<typeof CoverageRow>;

export const CoverageDeclaration = z.strictObject({
  about: z.string(),
  /** the platform documentation the rows follow */
  sources: z.array(z.url()).min(1),
  rows: z.array(
    CoverageRow.refine((row) => row.events !== undefined || row.reported !== undefined, "a row is mapped or reported"),
  ),
});

/** The rows as the markdown table the docs carry. */
export function coverageTable(rows: readonly CoverageRow[]): string {
  const lines = ["| field | item | outcome | fixture |", "|---|---|---|---|"];
  for (const row of rows) {
    const mapped = row.events === undefined ? [] : [row.events.map((type) => `\`${type}\``).join(" + ")];
    const reported = row.reported === undefined ? [] : [`reported as \`${row.reported.kind}\`: ${row.reported.why}`];
    lines.push(`| \`${row.field}\` | ${row.item} | ${[...mapped, ...reported].join("; ")} | \`${row.fixture}\` |`);
  }
  return lines.join("\n");
}
