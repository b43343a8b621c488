import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../src/adapters";
import { coverageMarkdown, coverageOf } from "../src/cli/coverage";
import { createNormalizer, type PlatformAdapter } from "../src/core";
import { FIXTURES_DIR } from "./support/fixtures";

const normalizer = createNormalizer({ adapters });

describe("coverage matrix", () => {
  it("is committed as docs/coverage.md exactly as `convotic coverage` generates it", () => {
    const generated = coverageMarkdown(coverageOf(normalizer, adapters, FIXTURES_DIR), adapters);
    expect(readFileSync(join(__dirname, "..", "docs", "coverage.md"), "utf8")).toBe(generated);
  });

  it("has no declared type without a fixture that produces it", () => {
    expect(coverageOf(normalizer, adapters, FIXTURES_DIR).unproven).toEqual([]);
  });

  it("reports a type an adapter declares but no fixture produces", () => {
    const claiming: PlatformAdapter = {
      ...adapters.viber,
      emits: [...adapters.viber.emits, "messaging.reaction.added"],
    };
    const registry = { viber: claiming };
    const coverage = coverageOf(createNormalizer({ adapters: registry }), registry, FIXTURES_DIR);
    expect(coverage.unproven).toEqual([{ platform: "viber", type: "messaging.reaction.added" }]);
  });
});
