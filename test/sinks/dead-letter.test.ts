import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebhookSink } from "../../src/delivery/sinks";
import { parseDeadLetters } from "../../src/delivery/sinks/dead-letter";
import { deliveryId } from "../../src/formats/delivery-id";
import { goldenEnvelopes } from "../formats/support";
import { runBuiltCli } from "../support/built-serve";
import { closedPort } from "../support/ports";
import { runCli } from "../support/run-cli";
import { newSecret, startReceiver, until } from "./receiver";

const events = goldenEnvelopes()
  .map(({ event }) => event)
  .slice(0, 3);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-dead-letter-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("convotic replay --dead-letter", () => {
  it("re-sends what a never-recovering subscriber dead-lettered, with the same webhook-id, once it is back", async () => {
    const secret = newSecret();
    const deadLetter = join(dir, "dead.jsonl");
    let healthy = false;
    const subscriber = await startReceiver([secret], () => (healthy ? { status: 200 } : { status: 503 }));
    try {
      const sink = new WebhookSink(
        {
          kind: "webhook",
          name: "crm",
          url: subscriber.url,
          secrets: [secret],
          dead_letter: deadLetter,
          max_attempts: 2,
          backoff_base_ms: 10,
        },
        { dataDir: dir },
      );
      await sink.write({ events, unhandled: [] }, AbortSignal.timeout(5000));
      await until(() => sink.stats.dead_lettered === 3);
      await sink.close(AbortSignal.timeout(1000));
      expect(subscriber.received).toHaveLength(6);

      // still down: everything stays in the file, exit 1
      const down = await runCli(["replay", "--dead-letter", deadLetter, "--secret-env", "CRM_SECRET"], {
        CRM_SECRET: secret,
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain("resent 3, accepted 0, failed 3 (kept in");
      expect(parseDeadLetters(readFileSync(deadLetter, "utf8")).records.map((record) => record.attempts)).toEqual([
        3, 3, 3,
      ]);

      healthy = true;
      const before = subscriber.received.length;
      const up = await runCli(["replay", "--dead-letter", deadLetter, "--secret-env", "CRM_SECRET"], {
        CRM_SECRET: `${newSecret()} ${secret}`,
      });
      expect(up).toMatchObject({ code: 0, stderr: "resent 3, accepted 3, failed 0\n" });
      const resent = subscriber.received.slice(before);
      expect(resent.map((item) => item.id)).toEqual(events.map((event) => deliveryId(event.id, "crm")));
      expect(resent.every((item) => item.verifiedWith.length === 1)).toBe(true);
      expect(resent.map((item) => JSON.parse(item.body) as unknown)).toEqual(events);
      expect(readFileSync(deadLetter, "utf8")).toBe("");
    } finally {
      await subscriber.close();
    }
  });

  it("the built CLI: a refused connection is named by its code, and one connection carries every resend", async () => {
    const secret = newSecret();
    const deadLetter = join(dir, "dead.jsonl");
    const gone = await closedPort();
    const sink = new WebhookSink(
      {
        kind: "webhook",
        name: "crm",
        url: `http://127.0.0.1:${gone}/hooks`,
        secrets: [secret],
        dead_letter: deadLetter,
        max_attempts: 1,
      },
      { dataDir: dir },
    );
    await sink.write({ events, unhandled: [] }, AbortSignal.timeout(5000));
    await until(() => sink.stats.dead_lettered === 3);
    await sink.close(AbortSignal.timeout(1000));
    expect(parseDeadLetters(readFileSync(deadLetter, "utf8")).records.map((record) => record.last_error)).toEqual([
      "ECONNREFUSED; gave up after 1 attempt(s)",
      "ECONNREFUSED; gave up after 1 attempt(s)",
      "ECONNREFUSED; gave up after 1 attempt(s)",
    ]);

    const still = await runBuiltCli(["replay", "--dead-letter", deadLetter, "--secret-env", "CRM_SECRET"], {
      CRM_SECRET: secret,
    });
    expect(still.code).toBe(1);
    expect(still.stderr).toContain(`to http://127.0.0.1:${gone}/hooks: ECONNREFUSED\n`);
    expect(parseDeadLetters(readFileSync(deadLetter, "utf8")).records.map((record) => record.last_error)).toEqual([
      "resend: ECONNREFUSED",
      "resend: ECONNREFUSED",
      "resend: ECONNREFUSED",
    ]);

    const sockets = new Set<Socket>();
    const subscriber = await startReceiver([secret]);
    subscriber.server.on("connection", (socket: Socket) => sockets.add(socket));
    try {
      const up = await runBuiltCli(
        ["replay", "--dead-letter", deadLetter, "--secret-env", "CRM_SECRET", "--to", subscriber.url],
        { CRM_SECRET: secret },
      );
      expect(up).toMatchObject({ code: 0, stderr: "resent 3, accepted 3, failed 0\n" });
      expect(subscriber.received.map((item) => item.verifiedWith)).toEqual([[0], [0], [0]]);
      expect(sockets.size).toBe(1);
    } finally {
      await subscriber.close();
    }
  });

  it("refuses bad usage and a file that is not dead letters", async () => {
    const file = join(dir, "x.jsonl");
    writeFileSync(file, "{}\n");
    expect(await runCli(["replay", "--dead-letter", file])).toMatchObject({ code: 2 });
    expect(await runCli(["replay", "--dead-letter", file, "--secret-env", "S"], {})).toMatchObject({ code: 2 });
    expect(await runCli(["replay", "--dead-letter", file, "--secret-env", "S"], { S: "not-whsec" })).toMatchObject({
      code: 2,
    });
    const bad = await runCli(["replay", "--dead-letter", file, "--secret-env", "S"], { S: newSecret() });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("line 1: not a dead-letter record");
    expect(
      await runCli(["replay", "--dead-letter", join(dir, "none.jsonl"), "--secret-env", "S"], { S: newSecret() }),
    ).toMatchObject({ code: 1 });
  });
});
