import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { runCli } from "../support/run-cli";

/*
 * `normalize` without --platform: the body's shape chooses, said on stderr. With the goldens' receive time pinned,
 * the output is the golden itself, since normalize, demo and replay share one default workspace and block.
 */
const fixtures = join(__dirname, "..", "..", "fixtures");
const RECEIVED_AT = "2026-11-22T12:00:00.000Z";

describe("normalize detects the platform", () => {
  it.each(Object.keys(adapters))(
    "every %s fixture is detected as %s and gives its golden's events",
    async (platform) => {
      const names = readdirSync(join(fixtures, platform)).filter((name) => !name.endsWith(".golden.json"));
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) {
        const file = join(fixtures, platform, name);
        const out = await runCli(["normalize", "--received-at", RECEIVED_AT, file]);
        expect({ name, code: out.code, first: out.stderr.split("\n")[0] }).toEqual({
          name,
          code: 0,
          first: `platform: ${platform} (detected from the body's shape; --platform to choose)`,
        });
        const golden = JSON.parse(readFileSync(file.replace(/\.[^.]+$/, ".golden.json"), "utf8")) as {
          events: unknown;
        };
        expect(JSON.parse(out.stdout)).toEqual(golden.events);
      }
    },
  );

  it("a body no platform takes is exit 1 naming what was tried; --platform still decides alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "convotic-detect-"));
    try {
      const file = join(dir, "body.json");
      writeFileSync(file, JSON.stringify({ hello: "world" }));
      const out = await runCli(["normalize", file]);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/^convotic: no platform takes this body \(tried instagram, line, /);
      const chosen = await runCli([
        "normalize",
        "--platform",
        "telegram",
        join(fixtures, "telegram", "message-text-private.json"),
      ]);
      expect(chosen.code).toBe(0);
      expect(chosen.stderr).not.toContain("detected");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
