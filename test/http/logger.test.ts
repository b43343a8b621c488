import fc from "fast-check";
import { PassThrough } from "node:stream";
import { createWebhookHandler, streamLogger, type LogFields } from "../../src/http";
import { formatValue } from "../../src/http/logger";
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

/*
 * The plain definition of a text record, as the logger stated it before its one-pass formatter: rename the edge's
 * fields into a fresh object field by field (`blocks: [id]` → `block`, `ms` → `duration_ms`; a later field of the
 * same name wins, in the place of the first), drop the secret-bearing keys (serve: top level, and one level down),
 * put the scope's request id first when the record has no `request_id` field, then write every defined value.
 */
const REFERENCE_REDACTED = ["secrets", "secret", "token", "signature", "headers", "body"];
const REFERENCE_NESTED = ["secrets", "secret_token"];

function referenceLine(
  level: string,
  message: string,
  fields: Record<string, unknown> | undefined,
  redact: boolean,
  scopeId: string | undefined,
): string {
  const named: Record<string, unknown> = {};
  for (const key in fields) {
    const value = fields[key];
    if (key === "blocks") {
      if (Array.isArray(value) && value.length === 1) named["block"] = value[0];
      else if (value !== undefined) named["blocks"] = value;
    } else if (key === "ms") {
      if (value !== undefined) named["duration_ms"] = value;
    } else if (!redact) named[key] = value;
    else if (!REFERENCE_REDACTED.includes(key)) {
      const plainObject = typeof value === "object" && value !== null && !Array.isArray(value);
      named[key] =
        plainObject && Object.keys(value).some((nested) => REFERENCE_NESTED.includes(nested))
          ? Object.fromEntries(Object.entries(value).filter(([nested]) => !REFERENCE_NESTED.includes(nested)))
          : value;
    }
  }
  const record = scopeId !== undefined && !("request_id" in named) ? { request_id: scopeId, ...named } : named;
  let text = `${level} ${message}`;
  for (const key in record) {
    const value = record[key];
    if (value !== undefined) text += ` ${key}=${formatValue(value as string)}`;
  }
  return text;
}

describe("text log lines: one formatter, against the plain definition", () => {
  // the rename sources and targets, the redacted keys, the request id and ordinary keys (integer-like ones too)
  const keys = fc.constantFrom(
    ...["blocks", "block", "ms", "duration_ms", "request_id", ...REFERENCE_REDACTED, "secret_token"],
    ...["method", "path", "status", "platform", "events", "code", "error", "remote", "0", "7"],
  );
  const text = fc.oneof(
    fc.string(),
    fc.constantFrom("", "a b", 'q"uote', "x=y", "line\nbreak", "\u0085", "\u2028", "wa", "/webhooks/wa"),
  );
  const scalar = fc.oneof(text, fc.double(), fc.integer(), fc.boolean(), fc.constant(undefined));
  // values outside `LogFields` too: a nested object (redacted one level down), null, a list with holes
  const value = fc.oneof(
    scalar,
    fc.array(fc.oneof(text, fc.constant(undefined)), { maxLength: 3 }),
    fc.constant(null),
    fc.dictionary(fc.constantFrom("secrets", "secret_token", "keep", "token"), scalar, {
      maxKeys: 3,
      noNullPrototype: true,
    }),
  );
  const records = fc.option(fc.dictionary(keys, value, { maxKeys: 8, noNullPrototype: true }), { nil: undefined });
  const levels = fc.constantFrom("info", "warn", "error");
  const withoutTime = (line: string) => line.replace(/^\S+ /, "");

  function serveLine(level: string, fields: LogFields | undefined, scopeId: string | undefined): string {
    const stream = new PassThrough();
    const logger = createLogger({ format: "text", stream, level: "debug" });
    const write = () => logger[level as "info"]("webhook", fields);
    if (scopeId === undefined) write();
    else requestScope.run({ requestId: scopeId }, write);
    logger.flush();
    const written = String(stream.read() ?? "");
    expect(written.endsWith("\n")).toBe(true);
    return withoutTime(written.slice(0, -1));
  }

  it("serve's lines (redacted, with or without a scope's request id) are the definition's, byte for byte", () => {
    fc.assert(
      fc.property(records, levels, fc.option(text, { nil: undefined }), (fields, level, scopeId) => {
        const given = fields as LogFields | undefined;
        expect(serveLine(level, given, scopeId)).toBe(referenceLine(level, "webhook", fields, true, scopeId));
      }),
      { numRuns: 2000 },
    );
  });

  it("the library's lines (streamLogger: nothing redacted, no scope) are the definition's, byte for byte", () => {
    fc.assert(
      fc.property(records, levels, (fields, level) => {
        const stream = new PassThrough();
        streamLogger(stream)[level as "info"]("webhook", fields as LogFields | undefined);
        const written = String(stream.read());
        expect(withoutTime(written.slice(0, -1))).toBe(referenceLine(level, "webhook", fields, false, undefined));
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ["a webhook line", { request_id: "r", method: "POST", status: 200, blocks: ["wa"], events: 1, ms: 3 }],
    ["a renamed field after its target", { block: "given", blocks: ["other"] }],
    ["a renamed field before its target", { blocks: ["first"], block: "then" }],
    ["a later undefined target", { blocks: ["first"], block: undefined, duration_ms: 7, ms: 8 }],
    ["secrets at both levels", { token: "t", nested: { secrets: "hidden", keep: 1 }, secret_token: "s" }],
  ] as [string, Record<string, unknown>][])("%s", (_name, fields) => {
    for (const scopeId of [undefined, "scope-1"])
      expect(serveLine("info", fields as LogFields, scopeId)).toBe(
        referenceLine("info", "webhook", fields, true, scopeId),
      );
  });
});

describe("createLogger text lines", () => {
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
