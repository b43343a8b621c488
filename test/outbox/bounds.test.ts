import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newSecret } from "../sinks/receiver";
import { startServe, startSubscriber, waitFor, writeConfig } from "./support";

/*
 * A full outbox or queue answers 503 with `Retry-After` and a log line, never a silent drop nor a 500 (issue 22);
 * `/readyz` says the outbox is past its bound; `/metrics` counts retries and shows the outbox's depth and age.
 */
jest.setTimeout(30_000);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-outbox-bounds-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("serve with a webhook sink whose subscriber is down", () => {
  it("answers 503 + Retry-After once the outbox holds max_bytes; /readyz and /metrics say so", async () => {
    const secret = newSecret();
    const subscriber = await startSubscriber(secret, () => ({ status: 503 }));
    const config = writeConfig(dir, {
      url: subscriber.url,
      backoff_base_ms: 100,
      backoff_max_ms: 200,
      outbox: { max_bytes: 3000 },
    });
    const served = await startServe(config, secret);
    try {
      const statuses: number[] = [];
      for (let id = 1; id <= 10; id += 1) statuses.push(await served.send(id));
      const accepted = statuses.filter((status) => status === 200).length;
      expect(accepted).toBeGreaterThan(0);
      expect(statuses.slice(accepted).every((status) => status === 503)).toBe(true);
      const refused = await fetch(`${served.url}/webhooks/tg`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "outbox-crash-token_5Tq" },
        body: JSON.stringify({
          update_id: 99,
          message: { message_id: 99, date: 1_790_000_000, chat: { id: 7, type: "private" }, text: "x" },
        }),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await refused.json()).toMatchObject({ error: { code: "sink_unavailable" } });
      await waitFor(() => /outbox full/.test(served.log()), 5000, "a log line");

      const ready = await fetch(`${served.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain("outbox full");
      await waitFor(() => subscriber.receptions.length >= 2, 5000, "a retry");
      const metrics = await (await fetch(`${served.url}/metrics`)).text();
      expect(metrics).toMatch(/convotic_sink_deliveries_total\{sink="crm",outcome="retried"\} [1-9]/);
      expect(metrics).toContain(`convotic_sink_outbox_depth{sink="crm"} ${accepted}`);
      expect(metrics).toMatch(/convotic_sink_outbox_oldest_age_seconds\{sink="crm"\} [0-9.]+/);
      expect(served.log()).toMatch(/webhook delivery failed; retrying/);
    } finally {
      await served.kill();
      await subscriber.close();
    }
  });

  it("with the in-memory queue and when_full wait, a full queue answers 503 + Retry-After at the deadline, not 500", async () => {
    const secret = newSecret();
    const subscriber = await startSubscriber(secret, () => "hold");
    const config = writeConfig(
      dir,
      { url: subscriber.url, queue_size: 1, outbox: { durable: false } },
      { deadlines: "500ms" },
    );
    const served = await startServe(config, secret);
    try {
      expect(await served.send(1)).toBe(200); // in flight (held by the subscriber)
      await waitFor(() => subscriber.receptions.length === 1, 5000, "the first delivery");
      expect(await served.send(2)).toBe(200); // queued
      const started = Date.now();
      const response = await fetch(`${served.url}/webhooks/tg`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "outbox-crash-token_5Tq" },
        body: JSON.stringify({
          update_id: 3,
          message: { message_id: 3, date: 1_790_000_000, chat: { id: 7, type: "private" }, text: "x" },
        }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(await response.json()).toMatchObject({ error: { code: "sink_unavailable" } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    } finally {
      await served.kill();
      await subscriber.close();
    }
  });
});
