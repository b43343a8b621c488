import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { FIXTURES_DIR, fixturesOf } from "../support/fixtures";
import { runCli } from "../support/run-cli";

/** `convotic replay` without `--to`: the golden review, through the CLI's entry point. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-review-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const total = Object.keys(adapters).reduce((sum, platform) => sum + fixturesOf(platform).length, 0);

/** A copy of two Telegram fixtures and their goldens under DIR/telegram. */
function copyTelegram(names = ["message-text-private", "edited-message"]): string {
  const target = join(dir, "telegram");
  mkdirSync(target, { recursive: true });
  for (const name of names) {
    copyFileSync(join(FIXTURES_DIR, "telegram", `${name}.json`), join(target, `${name}.json`));
    copyFileSync(join(FIXTURES_DIR, "telegram", `${name}.golden.json`), join(target, `${name}.golden.json`));
  }
  return target;
}

describe("convotic replay DIR (golden review)", () => {
  it("finds the whole bundled corpus equal to its goldens", async () => {
    const result = await runCli(["replay", FIXTURES_DIR]);
    // the fixtures of undocumented kinds name their drift on stderr, before the summary (docs/drift.md)
    const lines = result.stderr.trimEnd().split("\n");
    expect({ ...result, stderr: lines.at(-1) }).toEqual({
      code: 0,
      stdout: "",
      stderr: `files ${total}, equal ${total}, changed 0, new 0, failed 0`,
    });
    expect(lines.slice(0, -1).every((line) => line.startsWith("drift fixtures/"))).toBe(true);
    // one line per drifting path of the fixtures listed in test/core/drift.test.ts (10 paths in 9 bodies)
    expect(lines).toHaveLength(11);
  });

  it("shows a per-field diff for a changed golden, reports a missing one as new, and exits 1", async () => {
    const target = copyTelegram();
    const goldenPath = join(target, "message-text-private.golden.json");
    const golden = JSON.parse(readFileSync(goldenPath, "utf8")) as {
      events: { data: { message: { text: string } }; metadata: Record<string, unknown> }[];
    };
    golden.events[0]!.data.message.text = "an older mapping";
    golden.events[0]!.metadata["platform_account_id"] = "gone";
    writeFileSync(goldenPath, JSON.stringify(golden, null, 2) + "\n");
    rmSync(join(target, "edited-message.golden.json"));

    const result = await runCli(["replay", target]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("changed ");
    expect(result.stdout).toContain(
      '  ~ events[0].data.message.text: "an older mapping" → "Hi, I want to check my order status 📦"',
    );
    expect(result.stdout).toContain('  - events[0].metadata.platform_account_id: "gone"');
    expect(result.stdout).toMatch(/new .*edited-message\.json: 1 event\(s\), 0 unhandled\n/);
    expect(result.stderr).toBe("files 2, equal 0, changed 1, new 1, failed 0\n");
  });

  it("--update rewrites the goldens, after which the review is clean", async () => {
    const target = copyTelegram();
    const goldenPath = join(target, "message-text-private.golden.json");
    const original = readFileSync(goldenPath, "utf8");
    writeFileSync(goldenPath, original.replace("check my order", "see my order"));
    rmSync(join(target, "edited-message.golden.json"));
    const updated = await runCli(["replay", target, "--update"]);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain("(rewritten)");
    expect(readFileSync(goldenPath, "utf8")).toBe(original);
    expect(readFileSync(join(target, "edited-message.golden.json"), "utf8")).toBe(
      readFileSync(join(FIXTURES_DIR, "telegram", "edited-message.golden.json"), "utf8"),
    );
    expect(await runCli(["replay", target])).toMatchObject({
      code: 0,
      stderr: "files 2, equal 2, changed 0, new 0, failed 0\n",
    });
  });

  it("counts a body that cannot be normalised as failed, and bodies outside a platform folder need --platform", async () => {
    const flat = join(dir, "bodies");
    mkdirSync(flat);
    copyFileSync(join(FIXTURES_DIR, "telegram", "message-text-private.json"), join(flat, "a.json"));
    copyFileSync(join(FIXTURES_DIR, "telegram", "message-text-private.golden.json"), join(flat, "a.golden.json"));
    writeFileSync(join(flat, "b.json"), "{not json");
    const without = await runCli(["replay", flat]);
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('no platform "bodies" (the folder name); pass --platform');
    const withPlatform = await runCli(["replay", flat, "--platform", "telegram"]);
    expect(withPlatform.code).toBe(1);
    expect(withPlatform.stdout).toMatch(/failed .*b\.json: \[telegram\]/);
    expect(withPlatform.stderr).toBe("files 2, equal 1, changed 0, new 0, failed 1\n");
    expect(existsSync(join(flat, "b.golden.json"))).toBe(false);
    expect(await runCli(["replay", flat, "--platform", "kik"])).toMatchObject({ code: 2 });
  });

  it("--format thread and --format cloudevents print the projections as JSON lines", async () => {
    const target = copyTelegram(["message-text-private", "edited-message", "callback-query"]);
    const thread = await runCli(["replay", target, "--format", "thread", "--subscriber", "crm"]);
    expect(thread.code).toBe(0);
    const lines = thread.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as { event: string; data: { thread_id: string } });
    expect(lines.map((item) => item.event).sort()).toEqual(["message.received", "message.updated"]);
    expect(lines[0]!.data.thread_id).toMatch(/^telegram:/);
    expect(thread.stderr).toBe(
      "files 3, equal 3, changed 0, new 0, failed 0, 1 event(s) without a thread-style counterpart\n",
    );

    const cloud = await runCli(["replay", target, "--format", "cloudevents"]);
    const events = cloud.stdout
      .trim()
      .split("\n")
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    expect(events).toHaveLength(3);
    expect(
      events.every(
        (event) => event["specversion"] === "1.0" && event["source"] === "/convotic/ws_test/blk_telegram_test",
      ),
    ).toBe(true);
    expect(await runCli(["replay", target, "--format", "xml"])).toMatchObject({ code: 2 });
  });

  it("keeps the --to flags apart from the review flags", async () => {
    expect(await runCli(["replay", FIXTURES_DIR, "--to", "http://127.0.0.1:9", "--update"])).toMatchObject({ code: 2 });
    expect(await runCli(["replay", FIXTURES_DIR, "--block", "x"])).toMatchObject({ code: 2 });
  });
});
