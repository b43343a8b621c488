import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { wechat } from "../src/adapters/wechat";
import { authenticate, signPush, type WeChatSecrets } from "../src/adapters/wechat/auth";
import { aesKeyOf, decryptMessage, encryptMessage, wechatSignature } from "../src/adapters/wechat/crypto";
import { ConfigError, PayloadError, SignatureError, type NormalizeResult } from "../src/core";
import { describeAdapterConformance } from "../src/testing";
import { normalizer } from "./support/adapter";
import { coverage } from "../src/adapters/wechat/coverage";
import { describeCoverage } from "./support/coverage";
import { FIXTURES_DIR, fixtureContext } from "./support/fixtures";

/*
 * What the conformance suite does not pin down for WeChat: the signatures and the safe-mode cipher against the
 * official vectors (https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html)
 * and against values computed here with node:crypto alone, the XML reader's refusals, and the ids retries share.
 */

const context = fixtureContext("wechat");
const body = (name: string): Buffer => readFileSync(join(FIXTURES_DIR, "wechat", `${name}.xml`));
const run = (input: string | Buffer): NormalizeResult =>
  normalizer.normalize(
    "wechat",
    typeof input === "string" && !input.startsWith("<") ? body(input) : input,
    context,
    "text/xml",
  );

/** WeChat's signature computed here, independently of the adapter: SHA-1 of the sorted parts joined. */
const sha1Sorted = (...parts: string[]) =>
  createHash("sha1")
    .update([...parts].sort().join(""))
    .digest("hex");

/** WeChat's cipher computed here, independently: PKCS#7 to 32 bytes by hand, AES-256-CBC without Node's padding. */
function encryptHere(message: Buffer, encodingAesKey: string, appId: string, random: Buffer): string {
  const key = Buffer.from(encodingAesKey + "=", "base64");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const plain = Buffer.concat([random, length, message, Buffer.from(appId)]);
  const pad = 32 - (plain.length % 32);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    "base64",
  );
}

/** The worked safe-mode example: Official Account XML, constructed inputs, every value computed and cross-checked. */
const WORKED = {
  token: "wxTestToken2026",
  encodingAesKey: "rO5sJNY6TX3XYtXho5T4EWtazbKqNpQERNE2PRpQ5OE",
  appId: "wxd1c2b3a4f5e6d7c8",
  timestamp: "1767225600",
  nonce: "1320562132",
  random: "aB3dE5fG7hJ9kL1m",
  encrypt:
    "STMOVlsyaZoS8YMCXkOsHaR3SDuQwUh0s2ApIw6dapEMTcobkQzfvCPPv5mPyfWhXAT14bIr9mDVizfJitn9q4lwIws9l4pzC7tzhpeDpRwgoH4uMp42egjDd306nx/guoI9jbAXy9qBSwQ2AXMWaVmNqV7MbHXaUUtt9GyofX5l+XVvSvzZ/04EYvstKPbxGpahtClPNdWKsJq0vCucIvHBsQvt0FhnAMJ0AeQiep+TtVrJA5apZotySjlMQUfkgcFxzIGXmvXNnpPOPO4GhY4XZx2UYtAQNLG/lTB8SUAlSsKqx9h4/fOKkg2rQeB84RXp4CsAJunYpHqJ80yU+NXyxX2NFa1lhqhSeIx00GOqqUYgZ8NVQb9/IEYXbnPCeQmOBBzGuAO6cmD1jjJuuycig3A8WNsaKrySDGp4c39/4Vog/x293VrxylX7eaP35KFD4QGXOeRtp4ZihK9oEA==",
  msgSignature: "1f595275bd6b92879bebc55b808053c0cc49e94e",
  signature: "28438e979a349e528a7bb96c4d60f2134748effe",
} as const;
const SAFE: WeChatSecrets = {
  tokens: [WORKED.token],
  app_id: WORKED.appId,
  encoding_aes_keys: [WORKED.encodingAesKey],
};
const safeBody = (encrypt: string) =>
  Buffer.from(
    `<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
  );
const safeQuery = (overrides: Record<string, string> = {}) =>
  new URLSearchParams({
    signature: WORKED.signature,
    timestamp: WORKED.timestamp,
    nonce: WORKED.nonce,
    openid: "oia2TjjewbmiOUlr6X-1crbLOvLw",
    encrypt_type: "aes",
    msg_signature: WORKED.msgSignature,
    ...overrides,
  });

describe("wechat signatures: the official vectors", () => {
  it("reproduces the GET handshake vector (token AAAAA)", () => {
    expect(wechatSignature(["AAAAA", "1714036504", "1514711492"])).toBe("f464b24fc39322e44b38aa78f5edd27bd1441696");
    const answer = normalizer.handshake(
      "wechat",
      {
        query: new URLSearchParams(
          "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492",
        ),
        headers: {},
      },
      { tokens: ["AAAAA"] },
      context,
    );
    expect(answer).toMatchObject({ status: 200, body: "4375120948345356249" });
    expect(answer?.events.map((event) => [event.type, event.timestamp])).toEqual([
      ["platform.webhook.verified", "2024-04-25T09:15:04.000Z"],
    ]);
  });

  it("reproduces the plain POST vector and the safe-mode reply vector (EncodingAESKey 43 × A)", () => {
    expect(wechatSignature(["AAAAA", "1714037059", "486452656"])).toBe("899cf89e464efb63f54ddac96b0a0a235f53aa78");
    const reply = encryptMessage(
      Buffer.from('{"demo_resp":"good luck"}'),
      aesKeyOf("A".repeat(43)),
      "wxba5fad812f8e6fb9",
      Buffer.from("707722b803182950"),
    );
    expect(reply).toBe("ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==");
    expect(wechatSignature(["AAAAA", "1713424427", "415670741", reply])).toBe(
      "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1",
    );
  });

  it("refuses a handshake with a wrong signature, a missing echostr or another token", () => {
    const ask = (query: string, tokens = ["AAAAA"]) =>
      normalizer.handshake("wechat", { query: new URLSearchParams(query), headers: {} }, { tokens }, context);
    const good = "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&timestamp=1714036504&nonce=1514711492";
    expect(ask(`${good}&echostr=1`)?.status).toBe(200);
    expect(ask(good)?.status).toBe(403);
    expect(ask(`${good}&echostr=1`, ["BBBBB"])?.status).toBe(403);
    expect(ask(`${good.replace("f464", "f465")}&echostr=1`)?.status).toBe(403);
  });
});

describe("wechat safe mode: the worked Official Account example", () => {
  it("has the signatures and the ciphertext computed independently here", () => {
    expect(sha1Sorted(WORKED.token, WORKED.timestamp, WORKED.nonce)).toBe(WORKED.signature);
    expect(sha1Sorted(WORKED.token, WORKED.timestamp, WORKED.nonce, WORKED.encrypt)).toBe(WORKED.msgSignature);
    expect(encryptHere(body("text"), WORKED.encodingAesKey, WORKED.appId, Buffer.from(WORKED.random))).toBe(
      WORKED.encrypt,
    );
  });

  it("decrypts to the plaintext fixture and maps it like the plain push", () => {
    const plain = authenticate(safeQuery(), safeBody(WORKED.encrypt), SAFE);
    expect(Buffer.from(plain).equals(body("text"))).toBe(true);
    const key = aesKeyOf(WORKED.encodingAesKey);
    expect(key.toString("hex")).toBe("acee6c24d63a4d7dd762d5e1a394f8116b5acdb2aa36940444d1363d1a50e4e1");
    expect(decryptMessage(WORKED.encrypt, key, WORKED.appId).length).toBe(292);
    expect(run(Buffer.from(plain))).toEqual(run("text"));
  });

  it("encrypts as WeChat does: the adapter's cipher equals the one computed here, for random inputs", () => {
    for (let round = 0; round < 20; round++) {
      const encodingAesKey = randomBytes(32).toString("base64").slice(0, 43).replace(/[+/]/g, "A");
      const message = randomBytes(round * 7);
      const random = randomBytes(16);
      const mine = encryptMessage(message, aesKeyOf(encodingAesKey), "wx0123456789abcdef", random);
      expect(mine).toBe(encryptHere(message, encodingAesKey, "wx0123456789abcdef", random));
      const back = decryptMessage(mine, aesKeyOf(encodingAesKey), "wx0123456789abcdef");
      expect(Buffer.from(back).equals(message)).toBe(true);
    }
  });

  it("needs its own 32-byte unpadding: Node's 16-byte PKCS#7 throws on this ciphertext (pad 22)", () => {
    const key = aesKeyOf(WORKED.encodingAesKey);
    const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
    expect(() => Buffer.concat([decipher.update(Buffer.from(WORKED.encrypt, "base64")), decipher.final()])).toThrow(
      /bad decrypt/,
    );
  });

  it("refuses one changed base64 character, another AppID, a plain push, and a missing msg_signature", () => {
    const flipped = WORKED.encrypt.replace("STMO", "STMP");
    expect(() => authenticate(safeQuery(), safeBody(flipped), SAFE)).toThrow(SignatureError);
    expect(() =>
      authenticate(safeQuery(), safeBody(WORKED.encrypt), { ...SAFE, app_id: "wx0000000000000000" }),
    ).toThrow(/another AppID/);
    expect(() => authenticate(safeQuery({ encrypt_type: "raw" }), body("text"), SAFE)).toThrow(/not encrypted/);
    const query = safeQuery();
    query.delete("msg_signature");
    expect(() => authenticate(query, safeBody(WORKED.encrypt), SAFE)).toThrow(SignatureError);
    expect(() => authenticate(safeQuery(), safeBody(WORKED.encrypt), { tokens: [WORKED.token] })).toThrow(
      /no encoding_aes_keys/,
    );
  });

  it("reads compatible mode from the ciphertext only: the plain fields beside Encrypt are not authenticated", () => {
    const encrypt = encryptHere(body("location"), WORKED.encodingAesKey, WORKED.appId, Buffer.from(WORKED.random));
    const compatible = Buffer.from(
      body("text").toString().replace("</xml>", `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`),
    );
    const query = safeQuery({ msg_signature: sha1Sorted(WORKED.token, WORKED.timestamp, WORKED.nonce, encrypt) });
    const plain = authenticate(query, compatible, SAFE);
    expect(run(Buffer.from(plain)).events[0]).toMatchObject({ data: { message: { type: "location" } } });
  });

  it("reads a push encrypted with the previous key while the key is rotated", () => {
    const rotated = { ...SAFE, encoding_aes_keys: ["A".repeat(43), WORKED.encodingAesKey] };
    expect(Buffer.from(authenticate(safeQuery(), safeBody(WORKED.encrypt), rotated)).equals(body("text"))).toBe(true);
  });

  it("signs and encrypts a plain body so that verification gives it back", () => {
    const signed = signPush(body("location"), SAFE, { timestamp: "1767225600", nonce: "42" });
    expect(signed.query.get("encrypt_type")).toBe("aes");
    expect(signed.body.toString()).toContain("<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt>");
    expect(Buffer.from(authenticate(signed.query, signed.body, SAFE)).equals(body("location"))).toBe(true);
  });
});

describe("wechat plain mode", () => {
  const PLAIN: WeChatSecrets = { tokens: ["AAAAA"] };
  const query = new URLSearchParams(
    "signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656",
  );

  it("accepts the official plain POST signature (also upper-case), with either of two tokens", () => {
    expect(authenticate(query, body("text"), PLAIN)).toEqual(body("text"));
    const upper = new URLSearchParams(query);
    upper.set("signature", query.get("signature")!.toUpperCase());
    expect(() => authenticate(upper, body("text"), { tokens: ["NEWTOKEN", "AAAAA"] })).not.toThrow();
  });

  it("refuses another token, a missing timestamp and an unknown encrypt_type", () => {
    expect(() => authenticate(query, body("text"), { tokens: ["BBBBB"] })).toThrow(SignatureError);
    const noTime = new URLSearchParams(query);
    noTime.delete("timestamp");
    expect(() => authenticate(noTime, body("text"), PLAIN)).toThrow(/timestamp/);
    const other = new URLSearchParams(query);
    other.set("encrypt_type", "sm4");
    expect(() => authenticate(other, body("text"), PLAIN)).toThrow(/encrypt_type/);
  });

  it("checks the block's secrets: a malformed token or EncodingAESKey is a ConfigError", () => {
    expect(() => normalizer.handshake("wechat", { query, headers: {} }, { tokens: ["a b"] }, context)).toThrow(
      ConfigError,
    );
    expect(() => aesKeyOf("too-short")).toThrow(ConfigError);
  });
});

describe("wechat ids", () => {
  it("keeps MsgId beyond 2^53 exact, so neighbouring ids never share an event", () => {
    const at = (id: string) => run(body("text").toString().replace("24938271650029385", id)).events[0]!;
    const [a, b] = [at("9223372036854775806"), at("9223372036854775807")];
    expect(a.metadata.raw_platform_event_id).toBe("9223372036854775806");
    expect(a.id).not.toBe(b.id);
  });

  it("gives a retried push the same ids: messages by MsgId, events by sender, time and event", () => {
    for (const name of ["text", "menu-click", "subscribe-qrscene", "template-user-block"])
      expect(run(name).events.map((event) => event.id)).toEqual(run(Buffer.from(body(name))).events.map((e) => e.id));
    // the same message re-sent in another second (a retry carries the same MsgId) is the same event
    const later = run(body("text").toString().replace("1767225600", "1767225605"));
    expect(later.events[0]!.id).toBe(run("text").events[0]!.id);
    // two events of one user in one second stay apart when they differ
    const click = body("menu-click").toString();
    expect(run(click.replace("V1001_ORDER_STATUS", "V1002_HELP")).events[0]!.id).not.toBe(run(click).events[0]!.id);
  });

  it("ties a template outcome to the message id the send API answered (MsgID)", () => {
    const [failed] = run("template-user-block").events;
    expect(failed).toMatchObject({
      type: "messaging.message.failed",
      data: { error: { code: "user_block", message: "failed:user block" } },
      metadata: { platform_message_id: "3487542469355618313" },
    });
  });
});

describe("wechat XML", () => {
  const laughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
    "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>";
  const xxe =
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
    "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>";

  it("refuses a DOCTYPE before parsing: billion laughs and external entities are never expanded", () => {
    for (const hostile of [laughs, xxe]) expect(() => run(hostile)).toThrow(/markup declaration/);
  });

  it("leaves an undeclared entity as written and decodes only the predefined ones and character references", () => {
    const text = (content: string) =>
      run(body("text").toString().replace("<![CDATA[你好，订单到了吗？]]>", content)).events[0]!;
    expect(text("&xxe; &amp;&#60;&#x3E;")).toMatchObject({ data: { message: { text: "&xxe; &<>" } } });
    expect(text("<![CDATA[&amp; stays]]>")).toMatchObject({ data: { message: { text: "&amp; stays" } } });
  });

  it("reads a chat message that quotes a DOCTYPE inside CDATA", () => {
    expect(run("pretty-printed").events[0]).toMatchObject({
      data: { message: { text: "  spaces kept, <!DOCTYPE html> as text " } },
    });
  });

  it("refuses bodies that are not one <xml> push, and too many elements before parsing", () => {
    for (const bad of ["", "{}", "<xml>", "<root/>", "<xml><A>1</A></xml><xml/>", '{"ToUserName":"gh"}'])
      expect(() => run(Buffer.from(bad))).toThrow(PayloadError);
    expect(() => run(`<xml>${"<a/>".repeat(257)}</xml>`)).toThrow(/more than 256 elements/);
    expect(() => run(`<xml><A>${"&amp;".repeat(257)}</A></xml>`)).toThrow(/more than 256 entity references/);
    expect(run(body("text").toString().replace("你好", "&amp;".repeat(300))).events).toHaveLength(1);
    expect(() => run(`<xml>${"<a>".repeat(20)}${"</a>".repeat(20)}</xml>`)).toThrow(PayloadError);
    expect(() => run(Buffer.from([0x3c, 0x78, 0xff, 0x3e]))).toThrow(/UTF-8/);
  });
});

describe("wechat adapter", () => {
  it("is registered under its platform name", () => {
    expect(normalizer.adapterFor("wechat")).toBe(wechat);
  });
});

describeCoverage(coverage, (example) => run(typeof example === "string" ? example : String(example)));

// test/conformance.test.ts runs the suite with the safe-mode secrets (every body encrypted); plain mode here
describeAdapterConformance(wechat, {
  fixturesDir: join(FIXTURES_DIR, "wechat"),
  secrets: { valid: { tokens: ["AAAAA"] }, wrong: { tokens: ["BBBBB"] } },
  handshake: {
    query:
      "signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492",
    challenge: "4375120948345356249",
    invalidQuery:
      "signature=f464b24fc39322e44b38aa78f5edd27bd1441697&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492",
  },
  // a Mini Program card is not a MsgType Official Accounts document: its only drift
  cases: { unknown: "location-report", batch: false, poisoned: "poisoned-push", drift: ["miniprogram-page"] },
});
