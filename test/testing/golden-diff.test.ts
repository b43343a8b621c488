import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { telegram } from "../../src/adapters/telegram";
import { describeAdapterConformance, type TestRunner } from "../../src/testing";
import { runCli } from "../support/run-cli";
import { FIXTURES_DIR } from "../support/fixtures";
import { TEST_SECRETS } from "../support/secrets";

/*
 * The conformance suite's golden check and `convotic replay` review the same golden file with the same lines:
 * one diff, two entry points.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-golden-diff-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the suite's golden check for one fixture through a runner that records instead of registering. */
function goldenFailure(fixturesDir: string, name: string): string {
  const tests = new Map<string, () => void | Promise<void>>();
  const runner: TestRunner = { describe: (_title, fn) => fn(), it: (title, fn) => void tests.set(title, fn) };
  const secrets = TEST_SECRETS["telegram"]!;
  describeAdapterConformance(telegram, {
    fixturesDir,
    secrets: { valid: secrets.valid, wrong: secrets.wrong },
    runner,
    update: false,
  });
  const check = tests.get(`${name}: produces its reviewed golden file`);
  if (check === undefined) throw new Error(`no golden check for ${name}`);
  try {
    void check();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("the golden check passed on a changed golden file");
}

it("prints the same diff for a changed golden file as convotic replay", async () => {
  const target = join(dir, "telegram");
  mkdirSync(target);
  const name = "message-text-private";
  copyFileSync(join(FIXTURES_DIR, "telegram", `${name}.json`), join(target, `${name}.json`));
  const golden = JSON.parse(readFileSync(join(FIXTURES_DIR, "telegram", `${name}.golden.json`), "utf8")) as {
    events: { data: { message: { text: string } }; metadata: Record<string, unknown> }[];
  };
  golden.events[0]!.data.message.text = "an older mapping";
  golden.events[0]!.metadata["platform_account_id"] = "gone";
  writeFileSync(join(target, `${name}.golden.json`), JSON.stringify(golden, null, 2) + "\n");

  const suite = goldenFailure(target, name).split("\n");
  const replay = await runCli(["replay", target]);
  expect(replay.code).toBe(1);
  const review = replay.stdout.trimEnd().split("\n");
  expect(suite[0]).toBe(`changed ${name}.golden.json`);
  expect(review[0]).toMatch(new RegExp(`^changed .*${name}\\.golden\\.json$`));
  expect(suite.slice(1)).toEqual(review.slice(1));
  expect(suite).toContain(
    '  ~ events[0].data.message.text: "an older mapping" → "Hi, I want to check my order status 📦"',
  );
  expect(suite).toContain('  - events[0].metadata.platform_account_id: "gone"');
});
