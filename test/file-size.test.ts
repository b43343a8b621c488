import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/*
 * No source, test or bench file over 400 lines (issue 24): a longer file holds more than one idea, and is split by
 * idea into sibling modules. Lines are counted after prettier (width 120).
 */
const ROOT = join(__dirname, "..");
const FOLDERS = ["src", "test", "bench"];
const EXTENSIONS = [".ts", ".mjs", ".js"];
const MAX_LINES = 400;

function codeFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    // bench/node_modules holds the peers the bench compares with; none is ours to split
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : codeFiles(path);
    return EXTENSIONS.some((extension) => entry.name.endsWith(extension)) ? [path] : [];
  });
}

/** Newline characters, plus one for a last line without its newline (which `wc -l` would leave out). */
function lineCount(text: string): number {
  let lines = 0;
  for (let index = text.indexOf("\n"); index !== -1; index = text.indexOf("\n", index + 1)) lines += 1;
  return text.length > 0 && !text.endsWith("\n") ? lines + 1 : lines;
}

const files = FOLDERS.flatMap((folder) => codeFiles(join(ROOT, folder)));

describe("file size", () => {
  it("counts lines (a last line without its newline too), and walks every folder it checks", () => {
    expect([lineCount(""), lineCount("a\n"), lineCount("a\nb"), lineCount("a\nb\n\n")]).toEqual([0, 1, 2, 3]);
    const relativePaths = files.map((path) => relative(ROOT, path));
    expect(relativePaths).toContain("test/file-size.test.ts");
    expect(relativePaths).toContain("bench/main.mjs");
    expect(relativePaths).toContain("src/index.ts");
    expect(relativePaths.some((path) => path.includes("node_modules"))).toBe(false);
  });

  it(`has no file under ${FOLDERS.join(", ")} over ${MAX_LINES} lines`, () => {
    const over = files
      .map((path) => ({ path: relative(ROOT, path), lines: lineCount(readFileSync(path, "utf8")) }))
      .filter((file) => file.lines > MAX_LINES)
      .map((file) => `${file.path} (${file.lines} lines): split it by idea into sibling modules`);
    expect(over).toEqual([]);
  });
});
