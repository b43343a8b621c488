import { Writable } from "node:stream";
import { request } from "node:http";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { createWebhookHandler, loadBlocks, startServer } from "../../src/http";
import { createLogger, observeHandler, type LogFormat } from "../../src/observe";
import { signedHeaders } from "../../src/testing";
import { TEST_SECRETS } from "../support/secrets";

/*
 * The hostile corpus, for the logs (issue 23): characters some log tools take as line breaks (U+2028, U+2029, the
 * C1 controls with U+0085 NEXT LINE) placed in everything an unauthenticated or unrouted caller chooses and serve
 * logs (the 404 path, the 415 content type, the account ids of a signed body no block claims), through a real
 * server, in both log formats. No raw separator may reach the stream; the text is kept as escapes.
 */
const normalizer = createNormalizer({ adapters });
const SHARED = ["messenger", "instagram", "whatsapp", "line"] as const;
const blocks = loadBlocks(
  SHARED.map((platform) => ({
    id: `inj-${platform}`,
    platform,
    workspace_id: "ws",
    account_id: `known-${platform}`,
    secrets: TEST_SECRETS[platform]!.valid,
  })),
  { normalizer },
);
const SEPARATORS = ["\u2028", "\u2029", "\u0085", "\u009b", "\u0080"];
const hostile = `a${SEPARATORS.join("b")}c`;

const unroutedBody: Record<(typeof SHARED)[number], (account: string) => unknown> = {
  messenger: (account) => ({ object: "page", entry: [{ id: account, time: 1750100000000, messaging: [] }] }),
  instagram: (account) => ({ object: "instagram", entry: [{ id: account, time: 1750100000000, messaging: [] }] }),
  whatsapp: (account) => ({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "1",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "1", phone_number_id: account },
              messages: [],
            },
          },
        ],
      },
    ],
  }),
  line: (account) => ({ destination: account, events: [] }),
};

function rawPost(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "content-length": "2" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end("{}");
  });
}

describe.each<LogFormat>(["json", "text"])("hostile log input, %s format", (format) => {
  it("never writes a raw line separator, whatever the path, content type or account ids", async () => {
    let written = "";
    const stream = new Writable({
      write: (chunk: Buffer, _encoding, done) => ((written += chunk.toString("utf8")), done()),
    });
    const logger = createLogger({ format, stream });
    const handler = observeHandler(createWebhookHandler({ normalizer, blocks, logger }), { blocks });
    const server = await startServer(handler);
    try {
      expect(
        (
          await fetch(`${server.url}/webhooks/${encodeURIComponent(hostile)}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await fetch(`${server.url}/webhooks/whatsapp/${encodeURIComponent(hostile)}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          })
        ).status,
      ).toBe(404);
      // a header is read as latin1: the C1 controls arrive as themselves, U+2028's UTF-8 bytes as "â\u0080¨"
      expect(
        await rawPost(`${server.url}/webhooks/inj-line`, {
          "content-type": Buffer.from("text/plain;\u0085\u0080\u009b", "latin1").toString("latin1"),
        }),
      ).toBe(415);
      for (const platform of SHARED) {
        const body = JSON.stringify(unroutedBody[platform](hostile));
        const headers = {
          "content-type": "application/json",
          ...signedHeaders(normalizer.adapterFor(platform), body, TEST_SECRETS[platform]!.valid as never),
        };
        const answer = await fetch(`${server.url}/webhooks/${platform}`, { method: "POST", headers, body });
        expect({ platform, status: answer.status }).toEqual({ platform, status: 200 });
      }
      logger.flush();
      const lines = written.split("\n").filter((line) => line !== "");
      // 2 × 404, 1 × 415, then per platform a warning and the request's line
      expect(lines.length).toBe(3 + SHARED.length * 2);
      for (const separator of SEPARATORS) expect(written).not.toContain(separator);
      expect(written).toContain("\\u2028");
      if (format === "json") {
        const unrouted = lines
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((record) => Array.isArray(record["accounts"]));
        expect(unrouted).toHaveLength(SHARED.length);
        for (const record of unrouted) expect(record["accounts"]).toEqual([hostile]);
      }
    } finally {
      await server.close();
    }
  });
});
