import { readFileSync } from "node:fs";
import { join } from "node:path";
import { adapters } from "../../src/adapters";
import { wechat } from "../../src/adapters/wechat";
import { signPush } from "../../src/adapters/wechat";
import { createNormalizer, signRequest, type UnifiedEvent } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { createWebhookHandler } from "../../src/http";
import { FIXTURES_DIR } from "../support/fixtures";

/*
 * WeChat through the real webhook handler: the signature in the query string, the safe-mode body decrypted
 * before it is parsed, the GET handshake echoing `echostr`, and what a request that is not WeChat's gets.
 */

const normalizer = createNormalizer({ adapters });
const PLAIN = { tokens: ["wxTestToken2026"] };
const SAFE = {
  tokens: ["wxTestToken2026"],
  app_id: "wxd1c2b3a4f5e6d7c8",
  encoding_aes_keys: ["rO5sJNY6TX3XYtXho5T4EWtazbKqNpQERNE2PRpQ5OE"],
};
const delivered: UnifiedEvent[] = [];
const handler = createWebhookHandler({
  normalizer,
  blocks: [
    { id: "wx-plain", platform: "wechat", workspace_id: "ws_wx", secrets: PLAIN },
    { id: "wx-safe", platform: "wechat", workspace_id: "ws_wx", secrets: SAFE },
  ],
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  sink: (events) => {
    delivered.push(...events);
  },
});
const fixture = (name: string) => readFileSync(join(FIXTURES_DIR, "wechat", `${name}.xml`));
const post = (url: string, rawBody: Uint8Array, contentType = "text/xml") =>
  handler({ method: "POST", url, headers: { "content-type": contentType }, rawBody });

beforeEach(() => {
  delivered.length = 0;
});

describe("wechat through the webhook handler", () => {
  it("accepts a plain push signed in the query and delivers its event", async () => {
    const signed = signRequest(wechat, fixture("text"), PLAIN, { url: "/webhooks/wx-plain" });
    expect(signed.url).toMatch(/^\/webhooks\/wx-plain\?signature=[0-9a-f]{40}&timestamp=\d+&nonce=\d+$/);
    const response = await post(signed.url!, signed.rawBody);
    expect(response).toMatchObject({ status: 200, body: "success" });
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    expect(delivered.map((event) => event.type)).toEqual(["messaging.message.received"]);
  });

  it("decrypts a safe-mode push before parsing it: the same event as the plain push", async () => {
    const signed = signRequest(wechat, fixture("text"), SAFE, { url: "/webhooks/wx-safe" });
    expect(Buffer.from(signed.rawBody).toString()).toMatch(
      /^<xml><ToUserName><!\[CDATA\[gh_7f083739789a\]\]><\/ToUserName><Encrypt>/,
    );
    const response = await post(signed.url!, signed.rawBody);
    expect(response.status).toBe(200);
    const plain = normalizer.normalize("wechat", fixture("text"), {
      workspace_id: "ws_wx",
      block_id: "wx-safe",
      received_at: "2026-11-22T12:00:00.000Z",
    });
    expect(delivered.map((event) => event.id)).toEqual(plain.events.map((event) => event.id));
  });

  it("answers the worked example exactly as WeChat would send it", async () => {
    const encrypt =
      "STMOVlsyaZoS8YMCXkOsHaR3SDuQwUh0s2ApIw6dapEMTcobkQzfvCPPv5mPyfWhXAT14bIr9mDVizfJitn9q4lwIws9l4pzC7tzhpeDpRwgoH4uMp42egjDd306nx/guoI9jbAXy9qBSwQ2AXMWaVmNqV7MbHXaUUtt9GyofX5l+XVvSvzZ/04EYvstKPbxGpahtClPNdWKsJq0vCucIvHBsQvt0FhnAMJ0AeQiep+TtVrJA5apZotySjlMQUfkgcFxzIGXmvXNnpPOPO4GhY4XZx2UYtAQNLG/lTB8SUAlSsKqx9h4/fOKkg2rQeB84RXp4CsAJunYpHqJ80yU+NXyxX2NFa1lhqhSeIx00GOqqUYgZ8NVQb9/IEYXbnPCeQmOBBzGuAO6cmD1jjJuuycig3A8WNsaKrySDGp4c39/4Vog/x293VrxylX7eaP35KFD4QGXOeRtp4ZihK9oEA==";
    const url =
      "/webhooks/wx-safe?signature=28438e979a349e528a7bb96c4d60f2134748effe&timestamp=1767225600&nonce=1320562132&openid=oia2TjjewbmiOUlr6X-1crbLOvLw&encrypt_type=aes&msg_signature=1f595275bd6b92879bebc55b808053c0cc49e94e";
    const body = `<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    expect((await post(url, Buffer.from(body))).status).toBe(200);
    expect(delivered[0]).toMatchObject({
      type: "messaging.message.received",
      data: { message: { text: "你好，订单到了吗？" } },
      metadata: { raw_platform_event_id: "24938271650029385" },
    });
    // the same request on the plain block: its token matches, but a safe-mode push needs the block's key
    expect((await post(url.replace("wx-safe", "wx-plain"), Buffer.from(body))).status).toBe(401);
  });

  it("delivers a retried push once: WeChat re-sends with a new timestamp and nonce, the ids are the same", async () => {
    const seen: UnifiedEvent[] = [];
    const deduplicating = createWebhookHandler({
      normalizer,
      blocks: [{ id: "wx-safe", platform: "wechat", workspace_id: "ws_wx", secrets: SAFE }],
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      idempotency: new MemoryStore(),
      sink: (events) => {
        seen.push(...events);
      },
    });
    for (const name of ["image", "menu-click"]) {
      for (const [timestamp, nonce] of [
        ["1767225600", "111"],
        ["1767225605", "222"],
        ["1767225610", "333"],
      ] as const) {
        const push = signPush(fixture(name), SAFE, { timestamp, nonce });
        const response = await deduplicating({
          method: "POST",
          url: `/webhooks/wx-safe?${push.query.toString()}`,
          headers: { "content-type": "text/xml" },
          rawBody: push.body,
        });
        expect([response.status, response.body]).toEqual([200, "success"]);
      }
    }
    // the same ids on every retry: the delivery step runs each event once and counts the rest as duplicates
    expect(seen.map((event) => event.type)).toEqual(["messaging.message.received", "messaging.postback"]);
    expect(deduplicating.delivery.stats().duplicates).toBe(4);
  });

  it("refuses a push without a signature, with another token, unencrypted on a safe block, or as JSON", async () => {
    expect((await post("/webhooks/wx-plain", fixture("text"))).status).toBe(401);
    const other = signRequest(wechat, fixture("text"), { tokens: ["anotherToken"] }, { url: "/webhooks/wx-plain" });
    expect((await post(other.url!, other.rawBody)).status).toBe(401);
    const plain = signRequest(wechat, fixture("text"), PLAIN, { url: "/webhooks/wx-safe" });
    expect((await post(plain.url!, plain.rawBody)).status).toBe(401);
    const signed = signRequest(wechat, fixture("text"), PLAIN, { url: "/webhooks/wx-plain" });
    expect((await post(signed.url!, signed.rawBody, "application/json")).status).toBe(415);
    expect(delivered).toEqual([]);
  });

  it("answers the GET handshake with echostr as plain text, and 403 to a wrong signature", async () => {
    const query =
      "signature=fe54070374c2f5ee20463f4508999a1a4ace2ed5&timestamp=1767225000&nonce=987654321&echostr=7391758426";
    const ok = await handler({
      method: "GET",
      url: `/webhooks/wx-plain?${query}`,
      headers: {},
      rawBody: new Uint8Array(),
    });
    expect(ok).toMatchObject({ status: 200, body: "7391758426" });
    expect(ok.headers["content-type"]).toMatch(/^text\/plain/);
    const refused = await handler({
      method: "GET",
      url: `/webhooks/wx-plain?${query.replace("fe54", "fe55")}`,
      headers: {},
      rawBody: new Uint8Array(),
    });
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain("7391758426");
  });
});
