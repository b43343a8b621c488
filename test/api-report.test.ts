import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/*
 * The public surface is a reviewed diff: api/<entry>.api.md is api-extractor's report of each entry point of
 * package.json `exports`, made from the built declarations (`npm test` builds first). A change to what
 * `convotic`, `convotic/http`, … export fails here until `node api/extract.js --update` rewrites the report.
 */
const root = join(__dirname, "..");
const extract = (args: readonly string[]) =>
  spawnSync(process.execPath, [join(root, "api", "extract.js"), ...args], { cwd: root, encoding: "utf8" });
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, unknown> };

describe("the API reports", () => {
  it("exist for every entry point of package.json exports, and nothing else", () => {
    const expected = Object.keys(manifest.exports)
      .filter((subpath) => subpath !== "./package.json")
      .map((subpath) => (subpath === "." ? "convotic.api.md" : `convotic-${subpath.slice(2)}.api.md`))
      .sort();
    expect(
      readdirSync(join(root, "api"))
        .filter((name) => name.endsWith(".api.md"))
        .sort(),
    ).toEqual(expected);
  });

  it("match the built declarations, and fail naming the entry whose surface moved", () => {
    const tampered = mkdtempSync(join(tmpdir(), "convotic-api-reports-"));
    try {
      const clean = extract([]);
      expect(clean.stderr).toBe("");
      expect(clean.status).toBe(0);

      // a report that no longer lists one export: the surface "grew" past the reviewed report
      for (const name of readdirSync(join(root, "api")).filter((file) => file.endsWith(".api.md")))
        copyFileSync(join(root, "api", name), join(tampered, name));
      const report = join(tampered, "convotic-testing.api.md");
      const lines = readFileSync(report, "utf8").split("\n");
      const signed = lines.findIndex((line) => line.startsWith("export function signedHeaders"));
      expect(signed).toBeGreaterThan(-1);
      writeFileSync(report, [...lines.slice(0, signed), ...lines.slice(signed + 1)].join("\n"));
      const moved = extract(["--reports", tampered, "--only", "convotic-testing"]);
      expect(moved.status).toBe(1);
      expect(moved.stderr).toMatch(/API surface changed without its report: convotic-testing;/);
    } finally {
      rmSync(tampered, { recursive: true, force: true });
    }
  }, 90_000);
});
