import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exceedsShape, shapeScanThreshold } from "../../src/core";
import { DEFAULT_SHAPE_LIMITS, toFetchHandler } from "../../src/http";
import { loadConfig } from "../../src/cli/server-config";
import { captureLogger, normalizer, post, secretsFor, serveTest, signedHeaders, testHandler } from "./support";

/*
 * Issue 23, bounded work and Content-Encoding. A body's cost after parsing grows with its keys and items, not its
 * bytes: with a 16 MiB limit one body of a million keys blocked the event loop for 4.6 s. The caps are counted on
 * the bytes after the signature and before the parser. A compressed body is refused before it is read.
 */
const limits = { maxKeys: 4, maxItems: 3 };
const over = (text: string) => exceedsShape(Buffer.from(text), limits);

describe("exceedsShape", () => {
  const scanAll = { maxKeys: 4, maxItems: 3 };
  // bodies this short are below the scan threshold of these caps: lower the threshold by padding with spaces
  const padded = (text: string) => Buffer.from(text + " ".repeat(shapeScanThreshold(scanAll)));

  it("counts object members at every depth, not colons inside strings", () => {
    expect(exceedsShape(padded('{"a":1,"b":{"c":2,"d":"x:y:z"}}'), scanAll)).toBeUndefined();
    expect(exceedsShape(padded('{"a":1,"b":{"c":2,"d":3,"e":4}}'), scanAll)).toEqual({ what: "keys", limit: 4 });
    expect(exceedsShape(padded('{"a\\":":1,"b\\\\":2,"c":"\\"::::","d":4}'), scanAll)).toBeUndefined();
  });

  it("counts array elements at every depth: empty arrays hold none, strings and objects count once", () => {
    expect(exceedsShape(padded('[[],["a,b,c"]]'), scanAll)).toBeUndefined();
    expect(exceedsShape(padded("[[1,2],[3]]"), scanAll)).toEqual({ what: "items", limit: 3 });
    expect(exceedsShape(padded('{"a":[ {"x,": 1} , "]" ]}'), scanAll)).toBeUndefined();
    expect(exceedsShape(padded('{"a":[ {"x": [1]} , "]", 3 ]}'), scanAll)).toEqual({ what: "items", limit: 3 });
  });

  it("skips bodies too short to go over either cap, and stops at the first cap exceeded", () => {
    expect(shapeScanThreshold(DEFAULT_SHAPE_LIMITS)).toBe(2 * (DEFAULT_SHAPE_LIMITS.maxItems + 1));
    // 7 bytes cannot hold 4 items (at least 9 bytes): not scanned
    expect(shapeScanThreshold(limits)).toBe(8);
    expect(over("[1,2,3]")).toBeUndefined();
    expect(over("[1,2,3,4]")).toEqual({ what: "items", limit: 3 });
    const flood = Buffer.from(`[${"0,".repeat(1_000_000)}0]`);
    const started = performance.now();
    expect(exceedsShape(flood, DEFAULT_SHAPE_LIMITS)).toEqual({ what: "items", limit: 10_000 });
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("tolerates what is not JSON (the parser refuses it afterwards) and 100,000 levels of nesting", () => {
    expect(exceedsShape(padded('{"a":"never closed'), scanAll)).toBeUndefined();
    expect(exceedsShape(Buffer.from("[".repeat(100_000) + "]".repeat(100_000)), DEFAULT_SHAPE_LIMITS)).toEqual({
      what: "items",
      limit: 10_000,
    });
  });
});

const telegram = secretsFor("telegram").valid;
const whatsapp = secretsFor("whatsapp").valid;
const blocks = [
  { id: "tg", platform: "telegram", workspace_id: "ws", secrets: telegram },
  { id: "wa", platform: "whatsapp", workspace_id: "ws", account_id: "106540352242922", secrets: whatsapp },
];

function telegramWithKeys(keys: number): Buffer {
  const members = Array.from({ length: keys }, (_, index) => `"${index.toString(36)}":0`).join(",");
  return Buffer.from(`{"update_id":1,"x":{${members}}}`);
}

function whatsAppWithChanges(changes: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: "whatsapp_business_account",
      entry: [{ id: "1", changes: Array.from({ length: changes }, () => ({})) }],
    }),
  );
}

/** A WhatsApp batch as Meta sends it at most: 1,000 text messages with their contacts. */
function whatsAppBatch(messages: number): Buffer {
  const changes = Array.from({ length: messages }, (_, index) => ({
    field: "messages",
    value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
      contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "16505551234" }],
      messages: [
        {
          from: "16505551234",
          id: `wamid.batch-${index}`,
          timestamp: String(1_749_416_383 + index),
          type: "text",
          text: { body: "Does it come in another color?" },
        },
      ],
    },
  }));
  return Buffer.from(
    JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: "102290129340398", changes }] }),
  );
}

describe("the key and item caps over a real server", () => {
  it("answers 413 too_many_items and too_many_keys at the defaults, naming the cap", async () => {
    const env = await serveTest({ blocks, logger: captureLogger() });
    const items = whatsAppWithChanges(10_001);
    const refused = await post(env.url("/webhooks/wa"), items, signedHeaders("whatsapp", items, whatsapp));
    expect(refused.status).toBe(413);
    expect(refused.json()).toEqual({
      error: { code: "too_many_items", message: expect.stringContaining("more than 10000 array items") },
    });
    const keys = telegramWithKeys(100_001);
    const tooMany = await post(env.url("/webhooks/tg"), keys, { ...signedHeaders("telegram", keys, telegram) });
    expect(tooMany.status).toBe(413);
    expect(tooMany.json()).toEqual({
      error: { code: "too_many_keys", message: expect.stringContaining("more than 100000 object keys") },
    });
    // just below the caps the same shapes are served
    const fewer = telegramWithKeys(99_990);
    expect((await post(env.url("/webhooks/tg"), fewer, signedHeaders("telegram", fewer, telegram))).status).toBe(200);
  });

  it("serves the largest batch Meta sends (1,000 messages) well within the caps", async () => {
    const env = await serveTest({ blocks, logger: captureLogger(), bodyLimit: 3 * 1024 * 1024 });
    const body = whatsAppBatch(1_000);
    const response = await post(env.url("/webhooks/whatsapp"), body, signedHeaders("whatsapp", body, whatsapp));
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, events: 1_000 });
  });

  it("checks the signature first: an unsigned flood is a 401, never scanned", async () => {
    const env = await serveTest({ blocks, logger: captureLogger() });
    const items = whatsAppWithChanges(20_000);
    const response = await post(env.url("/webhooks/wa"), items, {
      ...signedHeaders("whatsapp", items, secretsFor("whatsapp").wrong),
    });
    expect(response.status).toBe(401);
  });

  it("with the body limit raised to 16 MiB, a million keys is refused in well under a second", async () => {
    const env = await serveTest({ blocks, logger: captureLogger(), bodyLimit: 16 * 1024 * 1024 });
    const body = telegramWithKeys(1_000_000);
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    const headers = signedHeaders("telegram", body, telegram);
    const started = performance.now();
    const response = await env.handler({ method: "POST", url: "/webhooks/tg", headers, rawBody: body });
    expect(performance.now() - started).toBeLessThan(500);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "too_many_keys" } });
  });

  it("takes its caps from the options, and refuses caps that are not positive integers", async () => {
    const env = await serveTest({ blocks, logger: captureLogger(), maxItems: 5 });
    for (const [count, status] of [
      [5, 200],
      [6, 413],
    ] as const) {
      // padded past the scan threshold of these caps
      const body = Buffer.from(
        JSON.stringify({
          object: "whatsapp_business_account",
          entry: [{ id: "1", changes: Array.from({ length: count - 1 }, () => ({})) }],
          pad: "x".repeat(100),
        }),
      );
      expect((await post(env.url("/webhooks/wa"), body, signedHeaders("whatsapp", body, whatsapp))).status).toBe(
        status,
      );
    }
    expect(() => testHandler({ blocks, maxKeys: 0 })).toThrow(/maxKeys must be a positive integer/);
    expect(() => testHandler({ blocks, maxItems: 1.5 })).toThrow(/maxItems must be a positive integer/);
  });
});

describe("Content-Encoding", () => {
  const body = Buffer.from(
    JSON.stringify({
      update_id: 7,
      message: { message_id: 1, date: 1_750_000_000, chat: { id: 1, type: "private" }, text: "hi" },
    }),
  );

  it.each(["gzip", "deflate", "br", "x-unknown", "gzip, identity", "IDENTITY, gzip"])(
    "%s is 415 unsupported_encoding, saying the platforms send identity",
    async (coding) => {
      const env = await serveTest({ blocks, logger: captureLogger() });
      const response = await post(env.url("/webhooks/tg"), body, {
        ...signedHeaders("telegram", body, telegram),
        "content-encoding": coding,
      });
      expect(response.status).toBe(415);
      expect(response.headers.get("accept-encoding")).toBe("identity");
      expect(response.json()).toEqual({
        error: { code: "unsupported_encoding", message: expect.stringContaining("the platforms send identity") },
      });
    },
  );

  it("identity (or none) is served", async () => {
    const env = await serveTest({ blocks, logger: captureLogger() });
    expect(
      (
        await post(env.url("/webhooks/tg"), body, {
          ...signedHeaders("telegram", body, telegram),
          "content-encoding": "identity",
        })
      ).status,
    ).toBe(200);
    expect((await post(env.url("/webhooks/tg"), body, signedHeaders("telegram", body, telegram))).status).toBe(200);
  });

  it("is refused before the body is read: a declared 1 MiB gzip body that never comes is answered at once", async () => {
    const env = await serveTest({ blocks, logger: captureLogger() });
    const socket = connect(env.server.port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    socket.write(
      "POST /webhooks/tg HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: 1048576\r\n\r\n",
    );
    const deadline = Date.now() + 2_000;
    while (!answer.includes("unsupported_encoding") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(env.handler.bodyBudget.inFlight).toBe(0);
    socket.destroy();
  });

  it("is 415 through the fetch shim and the bare handler too", async () => {
    const handler = testHandler({ blocks, logger: captureLogger() });
    const headers = { ...signedHeaders("telegram", body, telegram), "content-encoding": "gzip" };
    const viaFetch = await toFetchHandler(handler)(
      new Request("http://localhost/webhooks/tg", { method: "POST", headers, body }),
    );
    expect(viaFetch.status).toBe(415);
    expect(await viaFetch.json()).toMatchObject({ error: { code: "unsupported_encoding" } });
    const direct = await handler({ method: "POST", url: "/webhooks/tg", headers, rawBody: body });
    expect(direct.status).toBe(415);
  });
});

describe("the config file's keys", () => {
  it("max_keys, max_items and fairness are read, and a bad value is a ConfigError naming the field", () => {
    const config = loadConfig(
      {
        max_keys: 50_000,
        max_items: 2_000,
        fairness: {
          per_address_share: 0.5,
          small_body_bytes: 32_768,
          small_body_reserve: 4_194_304,
          min_body_rate: { bytes_per_second: 2_048, window_ms: 3_000 },
        },
        blocks,
      },
      { normalizer },
    );
    expect([config.max_keys, config.max_items]).toEqual([50_000, 2_000]);
    expect(config.fairness?.min_body_rate).toEqual({ bytes_per_second: 2_048, window_ms: 3_000 });
    expect(() => loadConfig({ fairness: { per_address_share: 1.5 }, blocks }, { normalizer })).toThrow(
      /fairness\.per_address_share/,
    );
    expect(() => loadConfig({ max_items: 0, blocks }, { normalizer })).toThrow(/max_items/);
  });
});

describe("convotic serve (the built CLI) with max_items and fairness in its config", () => {
  const cli = join(__dirname, "../../dist/cli/main.js");
  const dir = mkdtempSync(join(tmpdir(), "convotic-shape-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers 413 too_many_items past its max_items and 415 to a gzip body", async () => {
    if (!existsSync(cli)) throw new Error("dist/cli/main.js is missing: run `npm run build` first (npm test does)");
    const config = join(dir, "convotic.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        max_items: 50,
        fairness: { per_address_share: 0.5, min_body_rate: { bytes_per_second: 2_048, window_ms: 2_000 } },
        blocks,
      }),
    );
    const child = spawn(process.execPath, [cli, "serve", "--config", config, "--port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const deadline = Date.now() + 10_000;
      let url: string | undefined;
      while (url === undefined) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`serve did not start: ${stderr}`);
        url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const items = whatsAppWithChanges(60);
      const refused = await post(`${url}/webhooks/wa`, items, signedHeaders("whatsapp", items, whatsapp));
      expect([refused.status, refused.json()]).toEqual([
        413,
        { error: { code: "too_many_items", message: expect.stringContaining("more than 50 array items") } },
      ]);
      const gzip = await post(`${url}/webhooks/tg`, body(), {
        ...signedHeaders("telegram", body(), telegram),
        "content-encoding": "gzip",
      });
      expect(gzip.status).toBe(415);
      expect((await post(`${url}/webhooks/tg`, body(), signedHeaders("telegram", body(), telegram))).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }, 20_000);

  const body = () =>
    Buffer.from(
      JSON.stringify({
        update_id: 8,
        message: { message_id: 2, date: 1_750_000_000, chat: { id: 1, type: "private" }, text: "hi" },
      }),
    );
});
