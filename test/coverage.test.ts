import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../src/adapters";
import { COVERAGE } from "../src/adapters/coverage";
import { coverageMarkdown, coverageOf } from "../src/cli/coverage";
import type { PlatformAdapter } from "../src/core";

describe("coverage matrix", () => {
  it("is committed as docs/coverage.md exactly as `convotic coverage` generates it", () => {
    const generated = coverageMarkdown(coverageOf(COVERAGE, adapters), adapters);
    expect(readFileSync(join(__dirname, "..", "docs", "coverage.md"), "utf8")).toBe(generated);
  });

  it("has no declared type without a coverage row that maps it", () => {
    expect(coverageOf(COVERAGE, adapters).unproven).toEqual([]);
  });

  it("reports a type an adapter declares but no row of its table maps", () => {
    const claiming: PlatformAdapter = {
      ...adapters.viber,
      emits: [...adapters.viber.emits, "messaging.reaction.added"],
    };
    const coverage = coverageOf(COVERAGE, { viber: claiming });
    expect(coverage.platforms).toEqual(["viber"]);
    expect(coverage.unproven).toEqual([{ platform: "viber", type: "messaging.reaction.added" }]);
  });
});
