import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { adapters } from "../../src/adapters";
import { createNormalizer, type LogFields, type Logger } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { createWebhookHandler, streamLogger, toFetchHandler } from "../../src/http";
import { signedRequest } from "../../src/testing";
import { startBuiltServe } from "../support/built-serve";

/*
 * Issue 25, rough edges 4 and 5: what a redelivery answers and logs, and what the log says about refused requests,
 * through the real handler with a logger that keeps its records.
 */
const root = join(__dirname, "..", "..");
const TOKEN = "rough_edges_token";
const LINE_SECRET = "0123456789abcdef0123456789abcdef";
const fixture = (platform: string, name: string) => readFileSync(join(root, "fixtures", platform, `${name}.json`));

function recording() {
  const records: { level: string; message: string; fields: LogFields }[] = [];
  const keep =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      void records.push({ level, message, fields });
  const logger: Logger = { debug: keep("debug"), info: keep("info"), warn: keep("warn"), error: keep("error") };
  return { records, logger };
}

function handler(logger: Logger) {
  return createWebhookHandler({
    normalizer: createNormalizer({ adapters }),
    blocks: [
      { id: "tg", platform: "telegram", workspace_id: "ws", secrets: { secret_token: TOKEN } },
      { id: "li", platform: "line", workspace_id: "ws", secrets: { channel_secrets: [LINE_SECRET] } },
    ],
    idempotency: new MemoryStore(),
    logger,
  });
}

describe("4. a redelivery says so", () => {
  it("answers and logs duplicates: N for a body delivered again, and nothing extra the first time", async () => {
    const { records, logger } = recording();
    const handle = handler(logger);
    const request = signedRequest(
      adapters.telegram,
      fixture("telegram", "message-text-private"),
      { secret_token: TOKEN },
      { blockId: "tg" },
    );
    const first = await handle(request);
    expect(JSON.parse(first.body)).toEqual({ ok: true, events: 1, unhandled: 0 });
    const again = await handle(request);
    expect(JSON.parse(again.body)).toEqual({ ok: true, events: 1, unhandled: 0, duplicates: 1 });
    const lines = records.filter((record) => record.message === "webhook");
    expect(lines.map((record) => record.fields["duplicates"])).toEqual([undefined, 1]);
  });
});

describe("5. refused requests are logged with their platform, block and reason", () => {
  it("a 401, a 400 naming the field and a 405 name the platform and the block", async () => {
    const { records, logger } = recording();
    const handle = handler(logger);
    const body = fixture("telegram", "message-text-private");
    expect(
      (
        await handle({
          method: "POST",
          url: "/webhooks/tg",
          headers: { "content-type": "application/json" },
          rawBody: body,
        })
      ).status,
    ).toBe(401);
    const bad = Buffer.from(JSON.stringify({ destination: "U1", events: "not a list" }));
    const request = signedRequest(adapters.line, bad, { channel_secrets: [LINE_SECRET] }, { blockId: "li" });
    expect((await handle(request)).status).toBe(400);
    expect((await handle({ method: "PUT", url: "/webhooks/tg", headers: {}, rawBody: Buffer.alloc(0) })).status).toBe(
      405,
    );
    const [unauthorized, invalid, method] = records
      .filter((record) => record.message === "webhook")
      .map((r) => r.fields);
    expect(unauthorized).toMatchObject({ status: 401, platform: "telegram", blocks: ["tg"] });
    expect(invalid).toMatchObject({ status: 400, platform: "line", blocks: ["li"], code: "invalid_payload" });
    expect(String(invalid!["error"])).toMatch(/events/);
    expect(method).toMatchObject({ status: 405, platform: "telegram", blocks: ["tg"] });
  });

  it("a body another parser consumed is a logged 500, and the library's text logger writes duration_ms and block", async () => {
    let text = "";
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = { ...streamLogger(stream), debug: () => undefined };
    const handle = toFetchHandler(handler(logger));
    const consumed = new Request("http://localhost/webhooks/tg", { method: "POST", body: "{}" });
    await consumed.text();
    const response = await handle(consumed);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("body_already_parsed");
    expect(text).toMatch(
      / error webhook method=POST path=\/webhooks\/tg status=500 code=body_already_parsed .*duration_ms=\d+/,
    );
    const request = signedRequest(
      adapters.telegram,
      fixture("telegram", "message-text-private"),
      { secret_token: TOKEN },
      { blockId: "tg" },
    );
    const ok = await handle(
      new Request(`http://localhost${request.url}`, {
        method: "POST",
        headers: request.headers as Record<string, string>,
        body: request.rawBody,
      }),
    );
    expect(ok.status).toBe(200);
    expect(text).not.toMatch(/ ms=/);
  });

  it("serve --log-format json writes its start-up notes as records, not padded text", async () => {
    const served = await startBuiltServe([
      "--config",
      join(root, "examples", "convotic.config.json"),
      "--port",
      "0",
      "--log-format",
      "json",
    ]);
    try {
      const records = served
        .stderr()
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const record of records) expect(String(record["msg"])).not.toMatch(/\s{2}|^\s/);
      expect(records).toContainEqual(
        expect.objectContaining({
          url: `${served.url}/webhooks/tg-demo`,
          platform: "telegram",
          block: "tg-demo",
          workspace: "ws_demo",
        }),
      );
      expect(records).toContainEqual(expect.objectContaining({ url: served.url, ack: "after-dispatch" }));
    } finally {
      await served.stop();
    }
  });
});
