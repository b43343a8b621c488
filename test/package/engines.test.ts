import { readFileSync } from "node:fs";
import { join } from "node:path";

/*
 * Issue 25, rough edge 7: the Node versions the README states are the ones the dependency tree declares. Every
 * package npm installs is checked against them (its `engines.node`), so a dependency that raises its floor fails
 * here until the README says so.
 */
const root = join(__dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; engines?: { node?: string } | string[] }>;
};
// semver comes with npm's own tooling in node_modules; only `satisfies` is used
const semver = require("semver") as { satisfies(version: string, range: string): boolean };

const withEngines = Object.entries(lock.packages).flatMap(([path, entry]) => {
  const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
  return path === "" || range === undefined ? [] : [{ name: path.replace(/^.*node_modules\//, ""), range, entry }];
});

describe("the Node versions in the README", () => {
  it("the package and what it installs run on the README's Node 20", () => {
    expect(manifest.engines.node).toBe(">=20");
    expect(readme).toContain("Node 20 or later runs the library and the CLI");
    const runtime = withEngines.filter(({ entry }) => entry.dev !== true && entry.devOptional !== true);
    expect(runtime.filter(({ range }) => !semver.satisfies("20.0.0", range)).map(({ name }) => name)).toEqual([]);
  });

  it("a clone's npm ci needs what the README says: 20.19 for the tools, 22 for the named NATS packages", () => {
    expect(readme).toContain("developing in a clone needs Node 20.19 or later");
    const above = withEngines.filter(({ range }) => !semver.satisfies("20.19.0", range));
    expect(above.length).toBeGreaterThan(0);
    for (const { name, range } of above) {
      expect({ name, named: readme.includes(`\`${name}\``), fine: semver.satisfies("22.0.0", range) }).toEqual({
        name,
        named: true,
        fine: true,
      });
    }
    expect(readme).toContain("declare Node 22 or later");
  });
});
