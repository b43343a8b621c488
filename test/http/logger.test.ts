import { PassThrough } from "node:stream";
import { createWebhookHandler, streamLogger, type LogFields } from "../../src/http";
import { createLogger, requestScope } from "../../src/observe";
import { clock, normalizer, secretsFor } from "./support";

/** A handler of one Telegram block writing its log lines to a stream, and the text written so far. */
function logged() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString()));
  const handler = createWebhookHandler({
    normalizer,
    blocks: [{ id: "tg", platform: "telegram", workspace_id: "ws", secrets: secretsFor("telegram").valid }],
    logger: streamLogger(stream),
    clock,
    env: {},
  });
  return { handler, text: () => chunks.join("") };
}

describe("streamLogger", () => {
  it("writes one line per record, quoting values a client could use to forge lines", async () => {
    const { handler, text } = logged();
    const response = await handler({
      method: "POST",
      url: "/webhooks/x%0A2026-01-01T00:00:00.000Z%20error%20forged",
      headers: { "content-type": "application/json" },
      rawBody: new Uint8Array(),
    });
    expect(response.status).toBe(404);
    expect(
      text()
        .split("\n")
        .filter((line) => line !== ""),
    ).toHaveLength(1);
    expect(text()).toContain(
      " info webhook method=POST path=/webhooks/x%0A2026-01-01T00%3A00%3A00.000Z%20error%20forged status=404",
    );
    expect(text()).toContain('error="unknown block');
  });
});

describe("streamLogger and the characters other tools split lines on (issue 9, defect 6)", () => {
  // U+0085 NEXT LINE, U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR: JSON.stringify leaves them raw
  const BREAKS = /\r\n|[\n\r\v\f\u001c-\u001e\u0085\u2028\u2029]/;

  it.each([
    ["U+0085", "\u0085"],
    ["U+2028", "\u2028"],
    ["U+2029", "\u2029"],
  ])("escapes %s in a 404's detail (URL) and a 415's detail (Content-Type)", async (name, char) => {
    const escaped = `\\u${name.slice(2).toLowerCase()}`;
    const forged = `${char}2026-01-01T00:00:00.000Z error forged`;
    const notFound = logged();
    const url = `/webhooks/x${encodeURIComponent(forged)}`;
    expect(
      (
        await notFound.handler({
          method: "POST",
          url,
          headers: { "content-type": "application/json" },
          rawBody: new Uint8Array(),
        })
      ).status,
    ).toBe(404);
    const unsupported = logged();
    const headers = { "content-type": `text/plain${forged}` };
    expect(
      (await unsupported.handler({ method: "POST", url: "/webhooks/tg", headers, rawBody: new Uint8Array() })).status,
    ).toBe(415);
    for (const { text } of [notFound, unsupported])
      expect(
        text()
          .split(BREAKS)
          .filter((line) => line !== ""),
      ).toHaveLength(1);
    expect(notFound.text()).toContain(`error="unknown block \\"x${escaped}2026`);
    expect(unsupported.text()).toContain(`text/plain${escaped}2026`);
  });
});

describe("createLogger (serve's logger)", () => {
  function sink() {
    const stream = new PassThrough();
    const writes: string[] = [];
    stream.on("data", (chunk: Buffer) => writes.push(chunk.toString()));
    return { stream, writes, text: () => writes.join("") };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it.each(["text", "json"] as const)(
    "%s: hands the records of one event-loop turn to the stream in one write, warnings at once",
    async (format) => {
      const out = sink();
      const logger = createLogger({ format, stream: out.stream });
      logger.info("webhook", { status: 200, blocks: ["a"], ms: 1 });
      logger.info("webhook", { status: 200, blocks: ["b"], ms: 2 });
      logger.debug("dropped below info");
      await Promise.resolve();
      expect(out.writes).toEqual([]);
      logger.warn("something failed", { code: "x" });
      await Promise.resolve();
      // the warning went out at once, after the two lines before it, in one write
      expect(out.writes).toHaveLength(1);
      expect(
        out
          .text()
          .trim()
          .split("\n")
          .map((line) => /(webhook|something failed)/.exec(line)?.[1]),
      ).toEqual(["webhook", "webhook", "something failed"]);
      logger.info("after");
      await turn();
      expect(out.writes).toHaveLength(2);
      logger.info("flushed");
      logger.flush();
      expect(out.writes).toHaveLength(3);
      expect(out.text()).not.toContain("dropped");
    },
  );

  it("text: the same record as JSON (request id first, block, duration_ms), never a secret-bearing key", async () => {
    const json = sink();
    const text = sink();
    const fields = {
      platform: "telegram",
      blocks: ["tg"],
      status: 200,
      ms: 3,
      secret: "s3cr3t",
      token: "t0k3n",
      body: "raw body",
    } as const;
    for (const [format, out] of [
      ["json", json],
      ["text", text],
    ] as const) {
      const logger = createLogger({ format, stream: out.stream });
      requestScope.run({ requestId: "req-1" }, () => logger.info("webhook", fields));
      logger.flush();
    }
    const record = JSON.parse(json.text()) as Record<string, unknown>;
    expect(record).toEqual({
      level: "info",
      time: expect.any(String),
      msg: "webhook",
      request_id: "req-1",
      platform: "telegram",
      block: "tg",
      status: 200,
      duration_ms: 3,
    });
    // the two records are made a moment apart: each carries its own time, in the same ISO form
    const [time, rest] = [text.text().slice(0, 24), text.text().slice(24)];
    expect(new Date(time).toISOString()).toBe(time);
    expect(String(record["time"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rest).toBe(" info webhook request_id=req-1 platform=telegram block=tg status=200 duration_ms=3\n");
    for (const out of [json, text])
      for (const secret of ["s3cr3t", "t0k3n", "raw body"]) expect(out.text()).not.toContain(secret);
  });
});

describe("createLogger text lines: the direct line of a record with its request id", () => {
  // some values are outside `LogFields` on purpose (a nested object, a list with a hole): both paths must agree there too
  const fieldSets = [
    {
      method: "POST",
      path: "/webhooks/wa",
      status: 200,
      platform: "whatsapp",
      blocks: ["wa"],
      events: 1,
      unhandled: 0,
      ms: 3,
    },
    { blocks: ["a", "b"], ms: 0.5, ok: true, nothing: undefined },
    { blocks: [], error: 'a "quoted"\nline\u2028with\u0085breaks', code: "x=y" },
    { blocks: [undefined], secrets: "s3cret", token: "t", headers: "h", count: -1, big: 1e21, nan: Number.NaN },
    { status: 401, remote: "::1", kinds: ["text", "image"], empty: "" },
    { nested: { secrets: "hidden", keep: 1 }, list: ["x y"] },
    { block: "given", blocks: ["other"] },
    { duration_ms: 7, ms: 8 },
  ] as unknown as LogFields[];

  it("writes what the general path writes for the same record, field for field", () => {
    const lines = (write: (logger: ReturnType<typeof createLogger>) => void) => {
      const stream = new PassThrough();
      const logger = createLogger({ format: "text", stream });
      write(logger);
      logger.flush();
      // the time differs between the two; the rest of the line must not
      return String(stream.read() ?? "")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => line.replace(/^\S+ /, ""));
    };
    const direct = lines((logger) => {
      for (const fields of fieldSets) logger.info("webhook", { request_id: "req-1", ...fields });
    });
    // without a request id among the fields, the id comes from the scope: the general path
    const general = lines((logger) =>
      requestScope.run({ requestId: "req-1" }, () => {
        for (const fields of fieldSets) logger.info("webhook", fields);
      }),
    );
    expect(direct).toHaveLength(fieldSets.length);
    expect(direct).toEqual(general);
  });

  it("stamps each line with the ISO time, as Date#toISOString writes it", () => {
    const stream = new PassThrough();
    const logger = createLogger({ format: "text", stream });
    const before = Date.now();
    logger.info("webhook", { request_id: "req-2", status: 200 });
    logger.flush();
    const time = String(stream.read()).split(" ")[0]!;
    expect(time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });
});
