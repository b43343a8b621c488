import { createHash, createHmac } from "node:crypto";
import { ConfigError, PayloadError, SignatureError } from "../src/core";
import { createWebhookHandler } from "../src/http";
import { EMPTY_TWIML, twilio, twilioSignature, withBodyHash } from "../src/adapters/twilio";
import { adapterTest, normalizer, ofType } from "./support/adapter";
import { coverage } from "../src/adapters/twilio/coverage";
import { describeCoverage } from "./support/coverage";

/*
 * What the generic suites do not pin down for Twilio: the signature exactly as Twilio computes it (the SDKs' and
 * docs' vectors, the reference's worked example and vectors computed here with node:crypto alone), the URL it
 * covers, JSON bodies with bodySHA256, the TwiML answer, and the mapping details.
 */
const { body, run, context } = adapterTest("twilio");
const FORM = "application/x-www-form-urlencoded";
const TOKEN = "7f2c9e41d8a35b06e1c4f9a2b7d30e58";
const secrets = { auth_tokens: [TOKEN] };

/** Twilio's algorithm written out independently: URL + sorted name+value pairs, HMAC-SHA1, base64. */
function independent(token: string, url: string, pairs: [string, string][]): string {
  const sorted = [...pairs].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  return createHmac("sha1", token)
    .update(url + sorted.map(([name, value]) => name + value).join(""), "utf8")
    .digest("base64");
}

const verify = (rawBody: Buffer | string, signature: string, url: string, tokens = secrets) =>
  normalizer.verify("twilio", { rawBody, headers: { "X-Twilio-Signature": signature }, url }, tokens);

describe("twilio signature: the SDK and docs vectors", () => {
  // token 12345 and these parameters are the SDK test suites' and the security page's
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const form = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";
  const sdk = { auth_tokens: ["12345"] };

  it.each([
    ["as configured", url, "RSOYDt4T1cUTdK1PDd93/VVr8B8="],
    ["signed with :443, received without", url, "kvajT1Ptam85bY51eRf/AJRuM3w="],
    ["http with a port of its own", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="],
    [
      "http signed with :80, received without",
      "http://mycompany.com/myapp.php?foo=1&bar=2",
      "0ZXoZLH/DfblKGATFgpif+LLRf4=",
    ],
  ])("verifies %s", (_what, received, signature) => {
    expect(() => verify(form, signature, received, sdk)).not.toThrow();
  });

  it("signs as the SDKs do, and refuses a port Twilio did not sign", () => {
    expect(twilioSignature("12345", url, Buffer.from(form))).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    expect(twilioSignature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", Buffer.from(form))).toBe(
      "kvajT1Ptam85bY51eRf/AJRuM3w=",
    );
    expect(() =>
      verify(form, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "https://mycompany.com:8443/myapp.php?foo=1&bar=2", sdk),
    ).toThrow(SignatureError);
  });

  it("hashes each distinct value of a repeated name once, sorted", () => {
    const repeated = "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234";
    expect(twilioSignature("12345", url, Buffer.from(repeated))).toBe("IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    const binding = "MessagingBinding.Address=%2B1415xxxxxxx&MessagingBinding.Address=%2B1325xxxxxxx";
    expect(twilioSignature("12345", url, Buffer.from(binding))).toBe("83O6e2vORAoJHUNzJjDWN1jz+BA=");
  });

  it("signs the query exactly as Twilio encoded it: %27 and ' are different URLs", () => {
    const quoted = "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It%27s+amazing";
    expect(twilioSignature("12345", quoted, Buffer.from(form))).toBe("TfZzewPq8wqrGlMfyAud8+/IvJ0=");
    expect(() => verify(form, "TfZzewPq8wqrGlMfyAud8+/IvJ0=", quoted.replace("%27", "'"), sdk)).toThrow(SignatureError);
  });

  it("verifies a JSON body by bodySHA256 in the signed URL", () => {
    const json = Buffer.from('{"property": "value", "boolean": true}');
    const signedUrl = withBodyHash(url, json);
    expect(signedUrl).toBe(`${url}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`);
    expect(() => verify(json, "a9nBmqA0ju/hNViExpshrM61xv4=", signedUrl, sdk)).not.toThrow();
    // the body changed under the same URL and signature: its hash no longer matches
    expect(() =>
      verify(Buffer.from('{"property": "other", "boolean": true}'), "a9nBmqA0ju/hNViExpshrM61xv4=", signedUrl, sdk),
    ).toThrow(/bodySHA256/);
  });

  it("matches the security page's example", () => {
    const docs = "CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&To=%2B18005551212";
    expect(twilioSignature("12345", "https://example.com/myapp.php?foo=1&bar=2", Buffer.from(docs))).toBe(
      "L/OH5YylLD5NRKLltdqwSvS0BnU=",
    );
  });
});

describe("twilio signature: the worked example and vectors computed here", () => {
  const url = "https://hooks.example.com/twilio/messaging?tenant=acme";

  it("reproduces the worked example over the 383-byte WhatsApp body", () => {
    const raw = body("whatsapp-text-profile");
    expect(raw.length).toBe(383);
    expect(() => verify(raw, "MzIRdeI3+Q4ceA5JxHsTlNHOcao=", url)).not.toThrow();
    // the same with :443 written out is also Twilio's; http (a TLS proxy's view) is not
    expect(twilioSignature(TOKEN, "https://hooks.example.com:443/twilio/messaging?tenant=acme", raw)).toBe(
      "DYwnN5gRIBTbXpfsFjGpDu2AzHs=",
    );
    expect(() => verify(raw, "vqB2lLHc9RW/+PI1dAG5w6aCOsc=", url)).toThrow(SignatureError);
    expect(() => verify(raw, "MzIRdeI3+Q4ceA5JxHsTlNHOcao=", url.replace("https", "http"))).toThrow(SignatureError);
  });

  it("reproduces the worked status callback and JSON vectors", () => {
    expect(
      twilioSignature(TOKEN, "https://hooks.example.com/twilio/status?tenant=acme", body("status-read-whatsapp")),
    ).toBe("Lqy2ARiVI3N4vhkpcJPT5ekWm6M=");
    const json = Buffer.from('{"MessageSid":"SM0a9b8c7d6e5f40312a4b5c6d7e8f9012","MessageStatus":"delivered"}');
    const signedUrl = withBodyHash("https://hooks.example.com/twilio/events?tenant=acme", json);
    expect(signedUrl.endsWith("bodySHA256=590d2b4d2659ed8c822b12f35b02c1f06aede5823cf3786f122f7f33fca5ad98")).toBe(
      true,
    );
    expect(twilioSignature(TOKEN, signedUrl, json)).toBe("+/bOFHu5t0LV9FG4rhDzy4fJoxo=");
  });

  it("agrees with an independent computation on every fixture, for its own URL", () => {
    for (const name of ["sms-text", "mms-two-images", "whatsapp-button-reply", "status-failed-whatsapp"]) {
      const raw = body(name);
      const pairs = [...new URLSearchParams(raw.toString("utf8"))];
      const mine = independent(TOKEN, `https://example.test/${name}`, pairs);
      expect(twilio.sign(raw, secrets, { url: `https://example.test/${name}` })).toEqual({
        "x-twilio-signature": mine,
      });
      expect(() => verify(raw, mine, `https://example.test/${name}`)).not.toThrow();
    }
    // a vector with a repeated name and non-ASCII, computed with node:crypto and sha256 of nothing else
    const raw = Buffer.from("b=%C3%A9&a=2&a=1&A=3");
    expect(twilioSignature("tok", "https://x.test/", raw)).toBe(
      independent("tok", "https://x.test/", [
        ["A", "3"],
        ["a", "1"],
        ["a", "2"],
        ["b", "é"],
      ]),
    );
    expect(createHash("sha256").update("").digest("hex")).toHaveLength(64);
  });

  it("refuses without a URL, without the header, with a Webhooks Rule header, and after rotation only the listed tokens", () => {
    const raw = body("sms-text");
    const good = twilio.sign(raw, secrets, { url })["x-twilio-signature"]!;
    expect(() =>
      normalizer.verify("twilio", { rawBody: raw, headers: { "x-twilio-signature": good } }, secrets),
    ).toThrow(/URL Twilio called is unknown/);
    expect(() => normalizer.verify("twilio", { rawBody: raw, headers: {}, url }, secrets)).toThrow(SignatureError);
    const ruled = {
      "x-twilio-signature": good,
      "x-twilio-webhooks-signature-settings": "key=KS1,algorithm=HMAC_SHA256",
    };
    expect(() => normalizer.verify("twilio", { rawBody: raw, headers: ruled, url }, secrets)).toThrow(/Webhooks Rule/);
    expect(() => verify(raw, good, url, { auth_tokens: ["the-secondary-token-0000", TOKEN] })).not.toThrow();
    expect(() => verify(raw, good, url, { auth_tokens: ["the-secondary-token-0000"] })).toThrow(SignatureError);
    expect(() => twilio.sign(raw, secrets)).toThrow(ConfigError);
  });
});

describe("twilio over HTTP", () => {
  const handler = (block: Record<string, unknown> = {}) =>
    createWebhookHandler({
      normalizer,
      blocks: [{ id: "tw", platform: "twilio", workspace_id: "ws", secrets, ...block }],
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  const raw = body("whatsapp-text-profile");

  it("verifies against public_url and the received query, and answers empty TwiML as text/xml", async () => {
    const response = await handler({ public_url: "https://hooks.example.com/twilio/messaging" })({
      method: "POST",
      url: "/webhooks/tw?tenant=acme",
      headers: { "content-type": FORM, host: "10.0.0.5:3000", "x-twilio-signature": "MzIRdeI3+Q4ceA5JxHsTlNHOcao=" },
      rawBody: raw,
    });
    expect(response).toEqual({ status: 200, headers: { "content-type": "text/xml" }, body: EMPTY_TWIML });
  });

  it("behind a TLS proxy: 401 with the server's own URL, 200 when the block trusts X-Forwarded-*", async () => {
    const headers = {
      "content-type": `${FORM}; charset=utf-8`,
      host: "10.0.0.5:3000",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "hooks.example.com",
    };
    const signature = twilio.sign(raw, secrets, { url: "https://hooks.example.com/webhooks/tw" })[
      "x-twilio-signature"
    ]!;
    const request = {
      method: "POST",
      url: "/webhooks/tw",
      headers: { ...headers, "x-twilio-signature": signature },
      rawBody: raw,
    };
    const refused = await handler()(request);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.code).toBe("invalid_signature");
    expect((await handler({ trust_forwarded: true })(request)).status).toBe(200);
  });

  it("takes a JSON body signed with bodySHA256, and refuses other content types with 415", async () => {
    const json = Buffer.from(
      '{"MessageSid":"SM0a9b8c7d6e5f40312a4b5c6d7e8f9012","MessageStatus":"delivered","To":"+14155550123"}',
    );
    const signedUrl = withBodyHash("https://hooks.example.com/twilio/events", json);
    const query = signedUrl.slice(signedUrl.indexOf("?"));
    const post = (contentType: string) =>
      handler({ public_url: "https://hooks.example.com/twilio/events" })({
        method: "POST",
        url: `/webhooks/tw${query}`,
        headers: { "content-type": contentType, "x-twilio-signature": twilioSignature(TOKEN, signedUrl, json) },
        rawBody: json,
      });
    expect((await post("application/json")).status).toBe(200);
    expect((await post("text/plain")).status).toBe(415);
  });
});

describe("twilio bodies and mapping", () => {
  it("reads a JSON body like a form, and refuses what is neither", () => {
    const json = '{"MessageSid":"SM1","MessageStatus":"delivered","To":"+14155550123","NumSegments":1}';
    expect(
      ofType(normalizer.normalize("twilio", json, context, "application/json"), "messaging.message.delivered"),
    ).toHaveLength(1);
    expect(() => normalizer.normalize("twilio", "[1,2]", context, "application/json")).toThrow(PayloadError);
    expect(() => normalizer.normalize("twilio", "Body=hi", context, FORM)).toThrow(PayloadError);
  });

  it("keeps a parameter named __proto__ as data, never as the prototype", () => {
    const result = normalizer.normalize(
      "twilio",
      "MessageSid=SM9&From=%2B1555&To=%2B1666&__proto__=x&Body=hi",
      context,
      FORM,
    );
    expect(result.events).toHaveLength(1);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it("ties every status of a message to its id and conversation, one event per status", () => {
    const sent = ofType(run("status-sent"), "messaging.message.sent")[0]!;
    const delivered = ofType(run("status-delivered"), "messaging.message.delivered")[0]!;
    const failed = ofType(run("status-undelivered"), "messaging.message.failed")[0]!;
    expect(delivered.data.message_ids).toEqual([sent.data.message.id]);
    expect(failed.data.message_ids).toEqual([sent.data.message.id]);
    expect(new Set([sent.data.conversation_id, delivered.data.conversation_id])).toHaveProperty("size", 1);
    expect(new Set([sent.id, delivered.id, failed.id]).size).toBe(3);
    expect(failed.data.error).toMatchObject({ code: "30003" });
  });

  it("puts an inbound message and the statuses of our reply in one conversation", () => {
    const inbound = ofType(run("whatsapp-text-profile"), "messaging.message.received")[0]!;
    const read = ofType(run("status-read-whatsapp"), "messaging.message.read")[0]!;
    expect(read.data.conversation_id).toBe(inbound.data.conversation_id);
    expect(read.data.contact_id).toBe(inbound.data.contact_id);
    expect(inbound.data.contact).toEqual({ name: "Ana Pérez", phone: "+14155550123" });
    expect(inbound.data.message.text).toBe("Is order #1042 ready? Merci, café!");
  });

  it("caps NumMedia: a hostile count reads at most 20 items", () => {
    const result = normalizer.normalize(
      "twilio",
      "MessageSid=SM8&From=a&To=b&NumMedia=999999999&MediaUrl0=https%3A%2F%2Fm.test%2F0",
      context,
      FORM,
    );
    expect(ofType(result, "messaging.message.received")[0]!.data.message.attachments).toHaveLength(1);
  });
});

describeCoverage(coverage, run);
