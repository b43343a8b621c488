import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { coverageTableMarkdown } from "../../src/cli/coverage";
import type { CoverageTable, NormalizeResult } from "../../src/core";

/**
 * Keeps an adapter's coverage declaration (src/adapters/<platform>/coverage.ts, the one form of core/coverage.ts),
 * its fixtures and the table in its doc in step. One test per row: the example yields exactly the row's event
 * types (each once, in their order) and, when the row reports, an unhandled record of the row's kind; a row that
 * does not report yields none. Then the doc's coverage section must be the table rendered (`UPDATE_DOCS=1` rewrites
 * it instead).
 */
export function describeCoverage(table: CoverageTable, run: (example: string | object) => NormalizeResult): void {
  const { platform } = table;
  describe(`${platform} coverage table (src/adapters/${platform}/coverage.ts)`, () => {
    it.each(table.rows.map((row) => [row.webhook, row] as const))("%s", (_webhook, row) => {
      const result = run(typeof row.example === "string" ? row.example : (row.example.body as object));
      expect([...new Set(result.events.map((event) => event.type))]).toEqual(row.emits ?? []);
      if (row.reported === undefined) expect(result.unhandled).toEqual([]);
      else {
        const pattern = kindPattern(row.reported.kind);
        const reported = result.unhandled.filter((item) => pattern.test(item.kind));
        expect([row.reported.kind, reported.length > 0]).toEqual([row.reported.kind, true]);
        expect(reported.every((item) => item.reason.length > 0)).toBe(true);
      }
    });

    it(`is the table in docs/adapters/${platform}.md`, () => {
      const path = join(__dirname, "..", "..", "docs", "adapters", `${platform}.md`);
      const doc = readFileSync(path, "utf8");
      const start = doc.indexOf(START);
      const end = doc.indexOf(END);
      const table_ = `${START}\n${coverageTableMarkdown(table)}${END}`;
      if (process.env["UPDATE_DOCS"] === "1") {
        if (start < 0 || end < start) throw new Error(`docs/adapters/${platform}.md has no coverage markers`);
        writeFileSync(path, doc.slice(0, start) + table_ + doc.slice(end + END.length));
        return;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      expect(doc.slice(start, end + END.length)).toBe(table_);
    });
  });
}

const START = "<!-- coverage:start (rendered from the adapter's coverage.ts; UPDATE_DOCS=1 npx jest rewrites it) -->";
const END = "<!-- coverage:end -->";

/** `feed.<item>.<verb>` matches `feed.comment.remove`: placeholders stand for one dotted segment. */
function kindPattern(kind: string): RegExp {
  const escaped = kind.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join("[^.]+")}$`);
}
