import { PassThrough } from "node:stream";
import { createWebhookHandler, streamLogger } from "../../src/http";
import { clock, normalizer, secretsFor } from "./support";

describe("streamLogger", () => {
  it("writes one line per record, quoting values a client could use to forge lines", async () => {
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
    const response = await handler({
      method: "POST",
      url: "/webhooks/x%0A2026-01-01T00:00:00.000Z%20error%20forged",
      headers: { "content-type": "application/json" },
      rawBody: new Uint8Array(),
    });
    expect(response.status).toBe(404);
    const text = chunks.join("");
    expect(text.split("\n").filter((line) => line !== "")).toHaveLength(1);
    expect(text).toContain(" info webhook method=POST path=/webhooks/x%0A2026-01-01T00%3A00%3A00.000Z%20error%20forged status=404");
    expect(text).toContain('error="unknown block');
  });
});
