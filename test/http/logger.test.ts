import { PassThrough } from "node:stream";
import { createWebhookHandler, streamLogger } from "../../src/http";
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
    expect(text().split("\n").filter((line) => line !== "")).toHaveLength(1);
    expect(text()).toContain(" info webhook method=POST path=/webhooks/x%0A2026-01-01T00%3A00%3A00.000Z%20error%20forged status=404");
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
    expect((await notFound.handler({ method: "POST", url, headers: { "content-type": "application/json" }, rawBody: new Uint8Array() })).status).toBe(404);
    const unsupported = logged();
    const headers = { "content-type": `text/plain${forged}` };
    expect((await unsupported.handler({ method: "POST", url: "/webhooks/tg", headers, rawBody: new Uint8Array() })).status).toBe(415);
    for (const { text } of [notFound, unsupported]) expect(text().split(BREAKS).filter((line) => line !== "")).toHaveLength(1);
    expect(notFound.text()).toContain(`error="unknown block \\"x${escaped}2026`);
    expect(unsupported.text()).toContain(`text/plain${escaped}2026`);
  });
});
