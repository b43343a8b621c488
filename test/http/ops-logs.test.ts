import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBuiltServe, until, type BuiltServe } from "../support/built-serve";
import { telegramText } from "../support/telegram";

/*
 * Issue 23, against the built CLI in a real process (`npm run build` first): what unauthenticated input can make
 * serve write to its logs, and what its operations routes tell whoever can reach them.
 */
const dir = mkdtempSync(join(tmpdir(), "convotic-ops-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = "ops_logs_token_7d2Q";
const APP_SECRET = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";
const PNID = "106540352242922";
const config = join(dir, "config.json");
writeFileSync(
  config,
  JSON.stringify({
    logs: { auth_failure_interval: "400ms" },
    blocks: [
      { id: "tg-ops", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } },
      {
        id: "wa-ops",
        platform: "whatsapp",
        workspace_id: "ws",
        account_id: PNID,
        secrets: { app_secrets: [APP_SECRET] },
      },
    ],
  }),
);
const update = telegramText;
const postTelegram = (url: string, body: string, token = TOKEN) =>
  fetch(`${url}/webhooks/tg-ops`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": token },
    body,
  });

/** Sends a request with a header value node's fetch would refuse (bytes 0x80-0xff as latin1). */
function rawPost(url: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", headers: { ...headers, "content-length": "2" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end("{}");
  });
}

const records = (served: BuiltServe) =>
  served
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("serve --log-format json: unauthenticated input in the logs", () => {
  let served: BuiltServe;
  beforeAll(async () => {
    served = await startBuiltServe(["--config", config, "--port", "0", "--log-format", "json"]);
  }, 15_000);
  afterAll(async () => {
    await served.stop();
  });

  it("escapes U+2028, U+2029 and U+0085 from a 404 path, a 415 content type and unrouted account ids", async () => {
    expect(
      (
        await fetch(`${served.url}/webhooks/x%E2%80%A8y%E2%80%A9z%C2%85w`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(404);
    // header bytes are read as latin1: E2 80 A8 arrives as "â\u0080¨", 85 as U+0085
    expect(
      await rawPost(served.url, "/webhooks/tg-ops", {
        "content-type": Buffer.from("text/plain;\u00e2\u0080\u00a8\u0085x", "latin1").toString("latin1"),
      }),
    ).toBe(415);
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "1", phone_number_id: "acct\u2028forged\u2029line\u0085end" },
                messages: [],
              },
            },
          ],
        },
      ],
    });
    const signature = `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;
    expect(
      (
        await fetch(`${served.url}/webhooks/whatsapp`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-hub-signature-256": signature },
          body,
        })
      ).status,
    ).toBe(200);
    const logged = await until(() => {
      const all = records(served);
      const found = ["404", "415", "unrouted"].map((what) =>
        all.find((record) =>
          what === "unrouted" ? Array.isArray(record["accounts"]) : record["status"] === Number(what),
        ),
      );
      return found.every((record) => record !== undefined) ? found : undefined;
    }, "the three records");
    const text = served.stderr();
    for (const raw of ["\u2028", "\u2029", "\u0085", "\u0080"]) expect(text).not.toContain(raw);
    // the escapes decode to the same text: nothing is lost, nothing starts a line
    expect(String(logged[0]!["error"])).toContain("x\u2028y\u2029z\u0085w");
    expect(String(logged[1]!["error"])).toContain("\u0080");
    expect(logged[2]!["accounts"]).toEqual(["acct\u2028forged\u2029line\u0085end"]);
    expect(text).toContain("\\u2028");
  });

  it("writes forged requests as one line per route and interval, with their count and the first remote addresses", async () => {
    const before = served.stderr().length;
    const forged = 300;
    for (let sent = 0; sent < forged; sent += 30) {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, n) => postTelegram(served.url, update(sent + n), "forged_token_xyz")),
      );
      expect(answers.every((answer) => answer.status === 401)).toBe(true);
    }
    const summed = await until(
      () => {
        const lines = served
          .stderr()
          .slice(before)
          .split("\n")
          .filter((line) => line.includes('"status":401') || line.includes("aggregated"));
        const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        const total = parsed.reduce(
          (sum, record) => sum + (typeof record["count"] === "number" ? record["count"] : 1),
          0,
        );
        return total === forged ? { parsed, bytes: lines.join("\n").length } : undefined;
      },
      "every refusal counted",
      5_000,
    );
    // the first refusal at once, as before; the rest in at most one line per 400 ms interval
    expect(summed.parsed[0]).toMatchObject({
      level: "warn",
      msg: "webhook",
      status: 401,
      path: "/webhooks/tg-ops",
      remote: "127.0.0.1",
    });
    const aggregated = summed.parsed.slice(1);
    expect(aggregated.length).toBeGreaterThan(0);
    expect(aggregated.length).toBeLessThan(20);
    expect(aggregated[0]).toMatchObject({
      level: "warn",
      path: "/webhooks/tg-ops",
      remotes: ["127.0.0.1"],
      interval_ms: 400,
    });
    expect(summed.bytes).toBeLessThan(forged * 20);
    expect(served.stderr()).not.toContain("forged_token_xyz");
  });

  it("writes one line for a request's unhandled items, with their count and first kinds", async () => {
    const kinds = ["hologram", "smell", "telepathy", "aura", "vibe", "dream", "omen"];
    const messages = Array.from({ length: 7000 }, (_, n) => ({
      from: "16505551234",
      id: `wamid.${n}`,
      timestamp: "1750100000",
      type: kinds[n % kinds.length],
    }));
    const body = JSON.stringify({
      object: "whatsapp_business_account",
      entry: [
        {
          id: "1",
          changes: [
            {
              field: "messages",
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "1", phone_number_id: PNID },
                messages,
              },
            },
          ],
        },
      ],
    });
    const signature = `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;
    const answer = await fetch(`${served.url}/webhooks/wa-ops`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-hub-signature-256": signature,
        "x-request-id": "req-unhandled",
      },
      body,
    });
    expect(await answer.json()).toMatchObject({ ok: true, unhandled: 7000 });
    const lines = await until(() => {
      const found = records(served).filter((record) => record["request_id"] === "req-unhandled");
      return found.length >= 2 ? found : undefined;
    }, "the request's records");
    const unhandled = lines.filter((record) => record["msg"] === "unhandled");
    expect(unhandled).toHaveLength(1);
    expect(unhandled[0]).toMatchObject({ platform: "whatsapp", block: "wa-ops", count: 7000 });
    expect(unhandled[0]!["kinds"]).toHaveLength(5);
  });
});

describe("serve --ops-port: operations on their own listener", () => {
  let served: BuiltServe;
  beforeAll(async () => {
    served = await startBuiltServe(["--config", config, "--port", "0", "--ops-port", "0"]);
  }, 15_000);
  afterAll(async () => {
    await served.stop();
  });

  it("answers /healthz, /readyz and /metrics on the ops listener only; the public one answers 404 there", async () => {
    expect(served.opsUrl).not.toBe(served.url);
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const publicAnswer = await fetch(`${served.url}${path}`);
      expect(publicAnswer.status).toBe(404);
      expect(await publicAnswer.json()).toMatchObject({ error: { code: "not_found" } });
      expect((await fetch(`${served.opsUrl}${path}`)).status).toBe(200);
    }
    expect((await fetch(`${served.opsUrl}/webhooks/tg-ops`, { method: "POST", body: update(1) })).status).toBe(404);
    expect(await (await fetch(`${served.opsUrl}/readyz`)).json()).toEqual({
      status: "ready",
      blocks: 2,
      checks: { "sink stdout": "ok" },
    });
  });

  it("labels metrics with block ids on the ops listener", async () => {
    expect((await postTelegram(served.url, update(2))).status).toBe(200);
    const text = await (await fetch(`${served.opsUrl}/metrics`)).text();
    expect(text).toMatch(/convotic_webhook_requests_total\{platform="telegram",block="tg-ops",status="200"\} 1/);
  });
});

describe("serve without an ops listener: what /metrics tells a stranger", () => {
  it("names no block, whatever was sent, so the configured ids stay as hidden as the 404 keeps them", async () => {
    const before = Date.now();
    const served = await startBuiltServe(["--config", config, "--port", "0"]);
    try {
      expect((await postTelegram(served.url, update(3))).status).toBe(200);
      expect((await postTelegram(served.url, update(4), "forged_token_xyz")).status).toBe(401);
      expect(
        (
          await fetch(`${served.url}/webhooks/guess`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          })
        ).status,
      ).toBe(404);
      const text = await (await fetch(`${served.url}/metrics`)).text();
      expect(text).not.toContain("tg-ops");
      expect(text).not.toContain("wa-ops");
      expect(text).not.toContain("guess");
      expect(text).toMatch(/convotic_webhook_requests_total\{platform="telegram",block="\(hidden\)",status="200"\} 1/);
      // each text line is stamped with the time as Date#toISOString writes it, taken while serve ran
      const webhookLines = served
        .stderr()
        .split("\n")
        .filter((line) => / \w+ webhook /.test(line));
      expect(webhookLines.length).toBeGreaterThanOrEqual(3);
      for (const line of webhookLines) {
        const time = line.split(" ")[0]!;
        expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(new Date(Date.parse(time)).toISOString()).toBe(time);
        expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
        expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
      }
    } finally {
      await served.stop();
    }
  }, 15_000);
});

describe("serve with a Redis store that does not answer", () => {
  it("names the store in /readyz, not its address, and never writes the URL's password", async () => {
    // a port nothing listens on: bound, then released
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const redisConfig = join(dir, "redis.json");
    writeFileSync(
      redisConfig,
      JSON.stringify({
        idempotency: { store: "redis", url: "${REDIS_URL}", command_timeout: "200ms" },
        blocks: [{ id: "tg-ops", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } }],
      }),
    );
    const served = await startBuiltServe(["--config", redisConfig, "--port", "0"], {
      REDIS_URL: `redis://:redis-pw-91x@127.0.0.1:${port}/0`,
    });
    try {
      const answer = await fetch(`${served.url}/readyz`);
      expect(answer.status).toBe(503);
      const text = await answer.text();
      const body = JSON.parse(text) as { status: string; blocks: number; checks: Record<string, string> };
      expect(body).toEqual({
        status: "not ready",
        blocks: 1,
        checks: { "sink stdout": "ok", "store redis": expect.stringMatching(/^store redis does not answer: Redis /) },
      });
      expect(text).not.toContain("127.0.0.1");
      expect(text).not.toContain(String(port));
    } finally {
      await served.stop();
    }
    expect(served.stderr()).not.toContain("redis-pw-91x");
  }, 15_000);
});
