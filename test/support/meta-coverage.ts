import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoverageDeclaration, coverageTable } from "../../src/adapters/meta-shared";
import { adapterTest } from "./adapter";

const START =
  "<!-- coverage:start (generated from the adapter's coverage.json; UPDATE_DOCS=1 npx jest rewrites it) -->";
const END = "<!-- coverage:end -->";

/** `feed.<item>.<verb>` matches `feed.comment.remove`: placeholders stand for one dotted segment. */
function kindPattern(kind: string): RegExp {
  const escaped = kind.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join("[^.]+")}$`);
}

/**
 * Keeps a Meta adapter's coverage declaration (src/adapters/<platform>/coverage.json), its fixtures and the table in its doc in step: every row's
 * fixture gives exactly the row's events, or reports the row's kind; the doc holds the rendered declaration.
 */
export function describeCoverage(platform: string): void {
  const { run } = adapterTest(platform);
  const declared = join(__dirname, "..", "..", "src", "adapters", platform, "coverage.json");
  const { rows } = CoverageDeclaration.parse(JSON.parse(readFileSync(declared, "utf8")));
  describe(`${platform} coverage table`, () => {
    it.each(rows.map((row) => [`${row.field}: ${row.item}`, row] as const))("%s", (_name, row) => {
      const result = run(row.fixture);
      if (row.events !== undefined) expect(result.events.map((event) => event.type)).toEqual(row.events);
      if (row.reported !== undefined) {
        const pattern = kindPattern(row.reported.kind);
        const reported = result.unhandled.filter((item) => pattern.test(item.kind));
        expect(reported.length).toBeGreaterThan(0);
        expect(reported.every((item) => item.reason.length > 0)).toBe(true);
      }
      expect(row.events !== undefined || row.reported !== undefined).toBe(true);
    });

    it(`is the table in docs/adapters/${platform}.md`, () => {
      const path = join(__dirname, "..", "..", "docs", "adapters", `${platform}.md`);
      const doc = readFileSync(path, "utf8");
      const start = doc.indexOf(START);
      const end = doc.indexOf(END);
      const table = `${START}\n${coverageTable(rows)}\n${END}`;
      if (process.env["UPDATE_DOCS"] === "1") {
        const updated =
          start >= 0 && end > start
            ? doc.slice(0, start) + table + doc.slice(end + END.length)
            : `${doc.trimEnd()}\n\n## Coverage\n\n${table}\n`;
        writeFileSync(path, updated);
        return;
      }
      expect(start).toBeGreaterThanOrEqual(0);
      expect(doc.slice(start, end + END.length)).toBe(table);
    });
  });
}
