import { PayloadError, SignatureError } from "../src/core";
import { coverage } from "../src/adapters/viber/coverage";
import { adapterTest, hmacOf, normalizer, ofType } from "./support/adapter";
import { describeCoverage } from "./support/coverage";

/* What the conformance suite does not pin down for Viber: the signature as Viber computes it, exact int64 tokens. */
const { body, run, context } = adapterTest("viber");
const TOKEN = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9";
const secrets = { auth_tokens: [TOKEN] };

describe("viber signature", () => {
  it("is the lower-case hex HMAC-SHA256 of the exact body with the auth token", () => {
    const raw = Buffer.from('{"event":"webhook","timestamp":1457764197627,"message_token":241256543215}');
    // a vector computed independently with node:crypto
    expect(hmacOf("sha256", TOKEN, raw)).toBe("bd52434b46be1542d32bfa5e3332b757b927e183c5ef3b20a5f9877207dc55b9");
    const headers = { "X-Viber-Content-Signature": "bd52434b46be1542d32bfa5e3332b757b927e183c5ef3b20a5f9877207dc55b9" };
    const result = normalizer.processWebhook({ platform: "viber", rawBody: raw, headers, secrets, context });
    expect(result.events.map((event) => event.type)).toEqual(["platform.webhook.verified"]);
  });

  it("accepts either of two tokens while one is rotated, and an upper-case hex header", () => {
    const raw = body("message-text");
    const rotated = { auth_tokens: ["the-new-token", TOKEN] };
    const headers = { "x-viber-content-signature": hmacOf("sha256", TOKEN, raw).toUpperCase() };
    expect(() => normalizer.verify("viber", { rawBody: raw, headers }, rotated)).not.toThrow();
    expect(() => normalizer.verify("viber", { rawBody: raw, headers }, { auth_tokens: ["the-new-token"] })).toThrow(
      SignatureError,
    );
  });
});

describe("viber message tokens", () => {
  it("keeps tokens beyond 2^53 exact, so neighbouring tokens never share an id", () => {
    const at = (token: string) =>
      run(`{"event":"seen","timestamp":1767225617000,"message_token":${token},"user_id":"3SQNc4FPUQmysaM/AQEhXg=="}`)
        .events[0]!;
    const [a, b] = [at("9223372036854775806"), at("9223372036854775807")];
    expect(a.metadata.raw_platform_event_id).toBe("9223372036854775806");
    expect(b.metadata.raw_platform_event_id).toBe("9223372036854775807");
    expect(a.id).not.toBe(b.id);
  });

  it("ties a delivery and a read to the same message id", () => {
    const [delivered] = ofType(run("delivered"), "messaging.message.delivered");
    const [seen] = ofType(run("seen"), "messaging.message.read");
    expect(delivered?.data.message_ids).toEqual(seen?.data.message_ids);
  });
});

describe("viber bodies", () => {
  it("refuses a body without an event as a PayloadError, and reports a malformed event unhandled", () => {
    expect(() => run({ timestamp: 1 })).toThrow(PayloadError);
    const result = run("poisoned-update");
    expect(result.events).toEqual([]);
    expect(result.unhandled).toMatchObject([{ kind: "message", raw_platform_event_id: "5753750845017967012" }]);
  });
});

describeCoverage(coverage, run);
