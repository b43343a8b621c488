import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServe, TOKEN } from "./support";

/*
 * The file sink and a SIGKILL between its append and the idempotency commit (issue 22): the platform got no 200 and
 * redelivers; the restarted serve finds the event at the file's tail and does not write it twice.
 * `CONVOTIC_TEST_KILL_AT=after-file-write` makes serve kill itself at exactly that point (test-only hook).
 */
jest.setTimeout(30_000);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-file-kill-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// the file sink needs no webhook secret; support's startServe sets one for the sinks that do
const serve = (config: string, env: Record<string, string>) => startServe(config, "unused-whsec", env);

for (const format of ["envelope", "thread"] as const) {
  it(`${format}: an event written just before a SIGKILL is not written again on the redelivery`, async () => {
    const file = join(dir, "events.jsonl");
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        sinks: [{ kind: "file", path: file, format, fsync_interval_ms: 0 }],
        blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
      }),
    );
    const first = await serve(config, { CONVOTIC_TEST_KILL_AT: "after-file-write" });
    expect(await first.send(1)).toBe(0); // killed before answering: the platform will redeliver
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);

    const second = await serve(config, {});
    try {
      expect(await second.send(1)).toBe(200); // the redelivery
      expect(await second.send(2)).toBe(200);
      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines).toHaveLength(2);
      const keys = lines
        .map((line) => JSON.parse(line) as { id?: string; delivery_id?: string })
        .map((json) => json.id ?? json.delivery_id);
      expect(new Set(keys).size).toBe(2);
    } finally {
      await second.kill();
    }
  });
}
