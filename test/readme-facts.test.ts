import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../src/adapters";
import { COMMANDS } from "../src/cli/commands";
import { catalogue, EVENT_TYPES } from "../src/core";
import { rawBodyFiles } from "../src/testing/fixtures";

/*
 * The numbers and lists the README states, counted from the code: the catalogue, the registry and the fixture
 * folders. A type, a platform or a fixture added without the README following fails here.
 */
const root = join(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { description: string };
const platforms = Object.keys(adapters);
const fixtureCount = (platform: string) => rawBodyFiles(join(root, "fixtures", platform)).length;
const totalFixtures = platforms.reduce((sum, platform) => sum + fixtureCount(platform), 0);
const WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
];

describe("the README's facts", () => {
  it("counts the catalogue's types, core and extensions", () => {
    expect(readme).toContain(`one of the ${EVENT_TYPES.length} catalogue types`);
    const core = EVENT_TYPES.filter((type) => (catalogue[type] as { extension?: true }).extension !== true).length;
    const extensions = EVENT_TYPES.length - core;
    expect(readme).toContain(`${core} core types`);
    expect(readme).toMatch(new RegExp(`plus\\s+${WORDS[extensions] ?? extensions}\\s+extensions`));
  });

  it("names every platform in the headline and the package description", () => {
    const headline = readme.split("\n").slice(0, 5).join(" ").toLowerCase();
    for (const platform of platforms) {
      expect(headline).toContain(platform);
      expect(manifest.description.toLowerCase()).toContain(platform);
    }
  });

  it("gives each adapter's fixture count, and the corpus total where replay's summary is quoted", () => {
    for (const platform of platforms) {
      const row = readme.split("\n").find((text) => text.toLowerCase().startsWith(`| ${platform} |`));
      expect({ platform, row }).toEqual({
        platform,
        row: expect.stringContaining(`(${fixtureCount(platform)} fixtures)`),
      });
    }
    expect(readme).toContain(`sent ${totalFixtures}, accepted ${totalFixtures}, rejected 0`);
    expect(readme).toContain(`stopped: sent 0 of ${totalFixtures}, accepted 0`);
    // the review example adds one new body and changes one golden
    expect(readme).toContain(`files ${totalFixtures + 1}, equal ${totalFixtures - 1}, changed 1, new 1, failed 0`);
  });

  it("lists every command and serve's flags in the CLI block", () => {
    const block = /## CLI\n\n```\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    for (const command of Object.keys(COMMANDS))
      expect({ command, listed: block.includes(`convotic ${command}`) }).toEqual({ command, listed: true });
    for (const flag of ["--log-level", "--ops-port", "--probe", "--secret"]) expect(block).toContain(flag);
  });
});
