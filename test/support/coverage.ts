import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NormalizeResult } from "../../src/core";

/**
 * The coverage table of docs/adapters/<platform>.md: every webhook kind the platform documents, what it is mapped
 * to or why it is reported, and the fixture that shows it. The doc is the declaration; `describeCoverage`
 * normalises each row's fixture and checks the row, so the table cannot drift from the code.
 */
export interface CoverageRow {
  readonly kind: string;
  readonly mapped: readonly string[];
  readonly reported: string | undefined;
  readonly fixture: string;
}

const BEGIN = "<!-- coverage:begin -->";
const END = "<!-- coverage:end -->";

/** The rows between the coverage markers of the platform's doc. */
export function coverageRows(platform: string): CoverageRow[] {
  const doc = readFileSync(join(__dirname, "..", "..", "docs", "adapters", `${platform}.md`), "utf8");
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/adapters/${platform}.md has no ${BEGIN} … ${END} block`);
  const lines = doc
    .slice(start + BEGIN.length, end)
    .split("\n")
    .filter((line) => line.startsWith("| "))
    .slice(2);
  return lines.map((line) => {
    const cells = line.slice(2, -2).split(" | ");
    if (cells.length !== 4) throw new Error(`coverage row of ${platform} without 4 cells: ${line}`);
    const [kind, mapped, reported, fixture] = cells as [string, string, string, string];
    const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);
    return {
      kind,
      mapped: code(mapped),
      reported: reported === "—" ? undefined : code(reported)[0],
      fixture: code(fixture)[0] ?? "",
    };
  });
}

/** One test per row: the fixture yields exactly the mapped types, and the reported kind among its unhandled records. */
export function describeCoverage(platform: string, run: (fixture: string) => NormalizeResult): CoverageRow[] {
  const rows = coverageRows(platform);
  describe(`${platform} coverage table (docs/adapters/${platform}.md)`, () => {
    it.each(rows.map((row) => [row.kind, row] as const))("%s", (_kind, row) => {
      const result = run(row.fixture);
      expect([...new Set(result.events.map((event) => event.type))].sort()).toEqual([...row.mapped].sort());
      const reported = result.unhandled.map((item) => item.kind);
      if (row.reported === undefined) expect(reported).toEqual([]);
      else expect(reported).toContain(row.reported);
    });
  });
  return rows;
}
