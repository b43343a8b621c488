import { createNormalizer, SignatureError, ConfigError } from "../../src/core";
import { createWebhookHandler, loadBlocks } from "../../src/http";
import { publicUrlOf } from "../../src/http/public-url";
import { FORMCHAT_SECRETS, formchat } from "../support/form-adapter";

/*
 * Issue 26: a signature over the URL the platform called (Twilio's) must be checked against the public URL,
 * which behind a proxy is not the one the server sees. Each block declares it (`public_url`) or opts in to a
 * proxy's `X-Forwarded-Proto` / `X-Forwarded-Host`; the query string is always the one received, unchanged.
 */
const FORM = "application/x-www-form-urlencoded";
const normalizer = createNormalizer({ adapters: { formchat } });
const body = Buffer.from("Id=F1&From=%2B15550001&Text=hello");
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function handlerFor(block: Record<string, unknown>) {
  return createWebhookHandler({
    normalizer,
    blocks: [{ id: "form1", platform: "formchat", workspace_id: "ws", secrets: FORMCHAT_SECRETS.valid, ...block }],
    logger: quiet,
  });
}

async function status(
  block: Record<string, unknown>,
  signedFor: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const response = await handlerFor(block)({
    method: "POST",
    url,
    headers: { "content-type": FORM, ...headers, ...formchat.sign(body, FORMCHAT_SECRETS.valid, { url: signedFor }) },
    rawBody: body,
  });
  return response.status;
}

describe("the public URL verification sees", () => {
  const request = (url: string, headers: Record<string, string> = {}) => ({ url, headers });

  it("is public_url plus the query exactly as received", () => {
    const block = { public_url: "https://hooks.example.com/twilio/messaging" };
    expect(publicUrlOf(block, request("/webhooks/tw?tenant=acme&Body=It%27s+ok"))).toBe(
      "https://hooks.example.com/twilio/messaging?tenant=acme&Body=It%27s+ok",
    );
    expect(publicUrlOf(block, request("/webhooks/tw"))).toBe("https://hooks.example.com/twilio/messaging");
    expect(publicUrlOf(block, request("http://10.0.0.5:3000/webhooks/tw?x=1#frag"))).toBe(
      "https://hooks.example.com/twilio/messaging?x=1",
    );
  });

  it("takes the first forwarded proto and host only when the block trusts them", () => {
    const headers = {
      host: "10.0.0.5:3000",
      "x-forwarded-proto": "https, http",
      "x-forwarded-host": "hooks.example.com",
    };
    expect(publicUrlOf({ trust_forwarded: true }, request("/webhooks/tw?a=1", headers))).toBe(
      "https://hooks.example.com/webhooks/tw?a=1",
    );
    expect(publicUrlOf({}, request("/webhooks/tw?a=1", headers))).toBe("http://10.0.0.5:3000/webhooks/tw?a=1");
    // a forwarded host that is not a host, or a scheme that is not http(s), is ignored
    const odd = { host: "internal", "x-forwarded-proto": "gopher", "x-forwarded-host": "evil.example/path" };
    expect(publicUrlOf({ trust_forwarded: true }, request("/w", odd))).toBe("http://internal/w");
  });

  it("is the URL the server sees without either, and an absolute request URL as given", () => {
    expect(publicUrlOf({}, request("/webhooks/tw", { host: "localhost:3000" }))).toBe(
      "http://localhost:3000/webhooks/tw",
    );
    expect(publicUrlOf({}, request("https://edge.example:8443/webhooks/tw?q=1"))).toBe(
      "https://edge.example:8443/webhooks/tw?q=1",
    );
  });
});

describe("a block's public URL over HTTP", () => {
  it("verifies against public_url and the received query; the internal URL no longer verifies", async () => {
    const block = { public_url: "https://hooks.example.com/formchat" };
    const internal = "/webhooks/form1?tenant=acme";
    expect(await status(block, "https://hooks.example.com/formchat?tenant=acme", internal)).toBe(200);
    expect(await status(block, "http://localhost/webhooks/form1?tenant=acme", internal, { host: "localhost" })).toBe(
      401,
    );
    // the query is part of what is signed: another tenant's query does not verify
    expect(await status(block, "https://hooks.example.com/formchat?tenant=acme", "/webhooks/form1?tenant=other")).toBe(
      401,
    );
  });

  it("uses X-Forwarded-* only with trust_forwarded", async () => {
    const forwarded = { host: "10.0.0.5:3000", "x-forwarded-proto": "https", "x-forwarded-host": "hooks.example.com" };
    const signedFor = "https://hooks.example.com/webhooks/form1";
    expect(await status({ trust_forwarded: true }, signedFor, "/webhooks/form1", forwarded)).toBe(200);
    expect(await status({}, signedFor, "/webhooks/form1", forwarded)).toBe(401);
    expect(await status({}, "http://10.0.0.5:3000/webhooks/form1", "/webhooks/form1", forwarded)).toBe(200);
  });

  it("refuses a public_url with a query, credentials or another scheme, and both ways at once", () => {
    const load = (block: Record<string, unknown>) =>
      loadBlocks([{ id: "b", platform: "formchat", workspace_id: "w", secrets: FORMCHAT_SECRETS.valid, ...block }], {
        normalizer,
      });
    expect(load({ public_url: "https://hooks.example.com/x" }).byId("b")?.public_url).toBe(
      "https://hooks.example.com/x",
    );
    for (const public_url of ["https://h.example/x?tenant=a", "https://u:p@h.example/x", "ftp://h.example/", "/x"]) {
      expect(() => load({ public_url })).toThrow(ConfigError);
    }
    expect(() => load({ public_url: "https://h.example/x", trust_forwarded: true })).toThrow(
      /public_url and trust_forwarded/,
    );
  });
});

describe("the library", () => {
  it("passes url and its query to verify, and an adapter that needs the URL refuses without it", () => {
    const url = "https://hooks.example.com/formchat?tenant=acme";
    const headers = formchat.sign(body, FORMCHAT_SECRETS.valid, { url });
    expect(() => normalizer.verify("formchat", { rawBody: body, headers, url }, FORMCHAT_SECRETS.valid)).not.toThrow();
    expect(() => normalizer.verify("formchat", { rawBody: body, headers }, FORMCHAT_SECRETS.valid)).toThrow(
      SignatureError,
    );
    const seen: URLSearchParams[] = [];
    const spy = createNormalizer({
      adapters: {
        formchat: { ...formchat, verify: (request: { query: URLSearchParams }) => void seen.push(request.query) },
      },
    });
    spy.verify("formchat", { rawBody: body, headers, url }, FORMCHAT_SECRETS.valid);
    expect(seen[0]?.get("tenant")).toBe("acme");
    const result = normalizer.processWebhook({
      platform: "formchat",
      rawBody: body,
      headers: { ...headers, "content-type": FORM },
      url,
      secrets: FORMCHAT_SECRETS.valid,
      context: { workspace_id: "w", block_id: "b", received_at: "2026-11-22T12:00:00.000Z" },
    });
    expect(result.events).toHaveLength(1);
  });
});
