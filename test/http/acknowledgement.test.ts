import { ConfigError, createNormalizer, type PlatformAdapter } from "../../src/core";
import { createWebhookHandler, type AckMode } from "../../src/http";
import { FORMCHAT_SECRETS, formchat } from "../support/form-adapter";

/*
 * Issue 26: a platform that expects a given answer (Twilio an empty TwiML document as text/xml, WeChat the text
 * `success`) declares it as the adapter's `acknowledgement`; the edge sends it for a handled delivery in both ack
 * modes, and still answers failures with its JSON error.
 */
const FORM = "application/x-www-form-urlencoded";
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const acking: PlatformAdapter<unknown, { token: string }> = {
  ...(formchat as PlatformAdapter<unknown, { token: string }>),
  acknowledgement: { status: 200, contentType: "text/xml", body: TWIML },
};
const body = Buffer.from("Id=F1&From=%2B15550001&Text=hello");
const url = "http://localhost/webhooks/form1";

function handler(ack: AckMode, adapter = acking) {
  return createWebhookHandler({
    normalizer: createNormalizer({ adapters: { formchat: adapter } }),
    blocks: [{ id: "form1", platform: "formchat", workspace_id: "ws", secrets: FORMCHAT_SECRETS.valid }],
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    ack,
  });
}

const post = (ack: AckMode, secrets = FORMCHAT_SECRETS.valid, adapter = acking) =>
  handler(
    ack,
    adapter,
  )({
    method: "POST",
    url: "/webhooks/form1",
    headers: { "content-type": FORM, ...formchat.sign(body, secrets, { url }) },
    rawBody: body,
  });

describe("an adapter-defined acknowledgement", () => {
  it.each(["after-dispatch", "immediate"] as const)("answers a handled delivery with it (%s)", async (ack) => {
    const response = await post(ack);
    expect(response).toEqual({ status: 200, headers: { "content-type": "text/xml" }, body: TWIML });
  });

  it("leaves failures to the edge's JSON error, and other adapters to the JSON counts", async () => {
    const refused = await post("after-dispatch", FORMCHAT_SECRETS.wrong);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.code).toBe("invalid_signature");
    const plain = await post("after-dispatch", FORMCHAT_SECRETS.valid, formchat);
    expect(JSON.parse(plain.body)).toEqual({ ok: true, events: 1, unhandled: 0 });
  });

  it("must be a 2xx", () => {
    const broken = createNormalizer({
      adapters: { formchat: { ...formchat, acknowledgement: { status: 302, contentType: "text/plain", body: "" } } },
    });
    expect(() => broken.operationsFor("formchat")).toThrow(ConfigError);
  });
});
