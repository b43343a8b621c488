import { z } from "zod";
import { adapters } from "../../src/adapters";
import { createNormalizer, defineAdapter, headerValue, hmac, SignatureError, type HeaderMap } from "../../src/core";
import { diagnoseSignature, type CandidateBlock, type DiagnosisInput } from "../../src/inspect";
import { escapeNonAscii } from "../../src/inspect/diagnose";

/*
 * Each explanation of a failed signature, produced by the adapters' own verify. The bodies are signed here, at run
 * time, the way the sender in each story signed them; what reached the server differs the way the story says.
 */

/** A timestamped scheme (as Slack's or Standard Webhooks' are): the signature covers `<timestamp>.<body>`. */
const stamped = defineAdapter({
  platform: "stamped",
  payload: z.looseObject({}),
  secrets: z.strictObject({ key: z.string().min(1) }),
  emits: [],
  verify(request, secrets) {
    const at = headerValue(request.headers, "x-stamped-timestamp");
    const given = headerValue(request.headers, "x-stamped-signature");
    if (at === undefined || given === undefined)
      throw new SignatureError("missing x-stamped-signature header", { platform: "stamped" });
    const signed = Buffer.concat([Buffer.from(`${at}.`), request.rawBody]);
    if (given !== hmac("sha256", secrets.key, signed, "hex"))
      throw new SignatureError("signature does not match", { platform: "stamped" });
    if (Math.abs(Date.now() / 1000 - Number(at)) > 300)
      throw new SignatureError("timestamp outside the tolerance", { platform: "stamped" });
  },
  sign(rawBody, secrets) {
    const at = String(Math.floor(Date.now() / 1000));
    const signed = Buffer.concat([Buffer.from(`${at}.`), rawBody]);
    return { "x-stamped-timestamp": at, "x-stamped-signature": hmac("sha256", secrets.key, signed, "hex") };
  },
  normalize: () => ({ events: [], unhandled: [] }),
});

const normalizer = createNormalizer({ adapters: { ...adapters, stamped } });
const META = { app_secrets: ["route-app-secret"] };
const OTHER_META = { app_secrets: ["other-app-secret"] };
const LINE = { channel_secrets: ["line-channel-secret"] };
const VIBER = { auth_tokens: ["viber-auth-token"] };

/** What Meta sends: compact JSON with every non-ASCII character escaped as \uXXXX. */
const metaBody = escapeNonAscii(
  JSON.stringify({
    object: "page",
    entry: [{ id: "1", time: 1, messaging: [{ sender: { id: "2" }, message: { mid: "m", text: "café 😀" } }] }],
  }),
  false,
);

function diagnose(
  body: string | Buffer,
  headers: HeaderMap,
  others: CandidateBlock[] = [],
  overrides: Partial<DiagnosisInput> = {},
) {
  return diagnoseSignature({
    normalizer,
    platform: "messenger",
    secrets: META,
    route: "block fb-main",
    request: { rawBody: Buffer.from(body), headers },
    others,
    now: new Date(),
    ...overrides,
  });
}

const signed = (platform: string, body: string, secrets: unknown) =>
  normalizer.adapterFor(platform).sign(Buffer.from(body), secrets);
const kinds = (diagnosis: ReturnType<typeof diagnose>) => diagnosis.explanations.map((item) => item.kind);

describe("why a signature failed", () => {
  test("no signature header at all: names the header the platform sends", () => {
    const diagnosis = diagnose(metaBody, { "content-type": "application/json" });
    expect(diagnosis.said).toMatch(/missing x-hub-signature-256/);
    expect(kinds(diagnosis)).toEqual(["no_signature_header"]);
    expect(diagnosis.explanations[0]!.message).toContain("x-hub-signature-256");
  });

  test("a similarly named header carrying a valid signature: only its name is wrong", () => {
    const { "x-hub-signature-256": value } = signed("messenger", metaBody, META);
    const diagnosis = diagnose(metaBody, { "x-hub-signature_256": value });
    expect(kinds(diagnosis)).toEqual(["wrong_header_name"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/x-hub-signature_256 carries a valid signature/);
    expect(diagnosis.explanations[0]!.fix).toContain("x-hub-signature-256");
  });

  test("the body re-serialised by a body parser (compact JSON.stringify of the parsed body)", () => {
    const original = JSON.stringify({ object: "page", entry: [] });
    const received = JSON.stringify(JSON.parse(original), null, 2);
    const diagnosis = diagnose(received, signed("messenger", original, META));
    expect(kinds(diagnosis)).toEqual(["body_reserialised"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/JSON\.stringify of the parsed body/);
    expect(diagnosis.explanations[0]!.fix).toMatch(/before any body parser/);
  });

  test("the body re-serialised with 2-space indentation", () => {
    const original = JSON.stringify({ object: "page", entry: [] }, null, 2);
    const received = JSON.stringify(JSON.parse(original));
    const diagnosis = diagnose(received, signed("messenger", original, META));
    expect(kinds(diagnosis)).toEqual(["body_reserialised"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/2-space/);
  });

  test("Meta's \\uXXXX escapes decoded to UTF-8 on the way", () => {
    const received = JSON.stringify(JSON.parse(metaBody));
    expect(received).toContain("café");
    const diagnosis = diagnose(received, signed("messenger", metaBody, META));
    expect(kinds(diagnosis)).toEqual(["non_ascii_unescaped"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/the way Meta sends them/);
  });

  test("the reverse: UTF-8 the sender signed arrives escaped as \\uXXXX", () => {
    const original = JSON.stringify({
      events: [{ type: "message", message: { text: "こんにちは" } }],
      destination: "U1",
    });
    const received = escapeNonAscii(original, false);
    const diagnosis = diagnose(received, signed("line", original, LINE), [], {
      platform: "line",
      secrets: LINE,
      route: "block line-main",
    });
    expect(kinds(diagnosis)).toEqual(["non_ascii_escaped"]);
  });

  test("another block of the same platform: wrong secret for this route, naming the block", () => {
    const diagnosis = diagnose(metaBody, signed("messenger", metaBody, OTHER_META), [
      { id: "fb-other", platform: "messenger", secrets: OTHER_META },
      { id: "line-main", platform: "line", secrets: LINE },
    ]);
    expect(kinds(diagnosis)).toEqual(["wrong_secret"]);
    expect(diagnosis.explanations[0]!.message).toBe("wrong secret for this route: block fb-other's secret matches");
    expect(JSON.stringify(diagnosis)).not.toContain("other-app-secret");
  });

  test("another platform's secret used as this block's secret", () => {
    // the Meta app was set up with the Viber token by mistake: the request is a Meta request signed with it
    const headers = signed("messenger", metaBody, { app_secrets: VIBER.auth_tokens });
    const diagnosis = diagnose(metaBody, headers, [{ id: "viber-main", platform: "viber", secrets: VIBER }]);
    expect(kinds(diagnosis)).toEqual(["wrong_secret"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/block viber-main's \(viber\) secret matches/);
    expect(JSON.stringify(diagnosis)).not.toContain("viber-auth-token");
  });

  test("a request signed for another platform's block: the wrong route", () => {
    const body = JSON.stringify({ destination: "U1", events: [] });
    const diagnosis = diagnose(body, signed("line", body, LINE), [
      { id: "line-main", platform: "line", secrets: LINE },
    ]);
    expect(kinds(diagnosis)).toEqual(["wrong_header_name", "wrong_route"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/no x-hub-signature-256 header, but .*x-line-signature/);
    expect(diagnosis.explanations[1]!.message).toMatch(/signed as line block line-main expects/);
  });

  test("a timestamped scheme: the clock skew, with the signature itself right", () => {
    const body = "{}";
    const at = String(Math.floor(Date.now() / 1000) - 3600);
    const signature = hmac("sha256", "stamp-key", Buffer.from(`${at}.${body}`), "hex");
    const diagnosis = diagnose(body, { "x-stamped-timestamp": at, "x-stamped-signature": signature }, [], {
      platform: "stamped",
      secrets: { key: "stamp-key" },
    });
    expect(diagnosis.said).toMatch(/timestamp outside the tolerance/);
    expect(kinds(diagnosis)).toEqual(["clock_skew"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/x-stamped-timestamp header is 360\d s behind/);
    expect(diagnosis.explanations[0]!.fix).toMatch(/NTP/);
  });

  test("nothing matches: says what was tried and where the secret comes from", () => {
    const diagnosis = diagnose(metaBody, signed("messenger", metaBody, { app_secrets: ["nobody-has-this"] }), [
      { id: "fb-other", platform: "messenger", secrets: OTHER_META },
    ]);
    expect(kinds(diagnosis)).toEqual(["no_match"]);
    expect(diagnosis.explanations[0]!.message).toMatch(/neither the secrets of block fb-main/);
  });

  test("a request that verifies now says so instead of guessing", () => {
    const diagnosis = diagnose(metaBody, signed("messenger", metaBody, META));
    expect(kinds(diagnosis)).toEqual(["verifies_now"]);
  });

  test("the work is bounded: hundreds of blocks cost at most a few hundred verifications", () => {
    const others = Array.from({ length: 2000 }, (_, index) => ({
      id: `fb-${index}`,
      platform: "messenger",
      secrets: { app_secrets: [`secret-${index}`] },
    }));
    const spy = jest.spyOn(normalizer, "verify");
    diagnose(metaBody, signed("messenger", metaBody, { app_secrets: ["secret-1999"] }), others);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(301);
    spy.mockRestore();
  });
});
