import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NormalizeResult } from "../../src/core";

/** One row of an adapter's coverage declaration (src/adapters/<platform>/coverage.ts). */
export interface CoverageRow {
  readonly kind: string;
  readonly fixture: string;
  readonly mapped?: readonly string[];
  readonly reported?: string;
  readonly why?: string;
}

const BEGIN = "<!-- coverage:begin (generated from src/adapters/PLATFORM/coverage.ts; checked by the test) -->";
const END = "<!-- coverage:end -->";

/** The markdown table of a coverage declaration. */
export function coverageMarkdown(rows: readonly CoverageRow[]): string {
  const lines = ["| platform kind | mapped to | reported unhandled (why) | fixture |", "|---|---|---|---|"];
  for (const row of rows) {
    const mapped = (row.mapped ?? []).map((type) => `\`${type}\``).join(", ") || "—";
    const reported = row.reported === undefined ? "—" : `\`${row.reported}\`: ${row.why ?? ""}`;
    lines.push(`| ${row.kind} | ${mapped} | ${reported} | \`${row.fixture}\` |`);
  }
  return lines.join("\n");
}

/**
 * The coverage block of docs/adapters/<platform>.md must be the table of the declaration; `UPDATE_COVERAGE=1`
 * rewrites it. Returns the block found and the block expected.
 */
export function coverageBlock(platform: string, rows: readonly CoverageRow[]): { found: string; expected: string } {
  const path = join(__dirname, "..", "..", "docs", "adapters", `${platform}.md`);
  const doc = readFileSync(path, "utf8");
  const begin = BEGIN.replace("PLATFORM", platform);
  const expected = `${begin}\n\n${coverageMarkdown(rows)}\n\n${END}`;
  const start = doc.indexOf(begin);
  const end = doc.indexOf(END);
  const found = start < 0 || end < start ? "" : doc.slice(start, end + END.length);
  if (process.env["UPDATE_COVERAGE"] === "1" && found !== "" && found !== expected) {
    writeFileSync(path, doc.slice(0, start) + expected + doc.slice(end + END.length));
    return { found: expected, expected };
  }
  return { found, expected };
}

/** What a row claims, checked against the normalised fixture: the event types and the reported kind. */
export function rowOutcome(result: NormalizeResult): { mapped: string[]; reported: string[] } {
  return { mapped: [...new Set(result.events.map((event) => event.type))].sort(), reported: result.unhandled.map((item) => item.kind) };
}
