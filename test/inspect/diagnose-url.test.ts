import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { adapters } from "../../src/adapters";
import { createNormalizer, defineAdapter, headerValue, hmac, SignatureError, type HeaderMap } from "../../src/core";
import { MemoryStore } from "../../src/delivery";
import { createWebhookHandler } from "../../src/http";
import { diagnoseSignature, type DiagnosisInput, type Explanation } from "../../src/inspect";
import { createInspector } from "../../src/public/observe";
import { TEST_SECRETS } from "../support/secrets";

/*
 * "A proxy rewrote the URL or the scheme": for a signature that covers the URL, the diagnosis re-verifies with the
 * URLs a proxy may have turned the signed one into. Twilio's real signatures (its adapter's own sign and verify, the
 * test Auth Token) over its form fixtures; a custom adapter that signs its URL shows the check knows no platform.
 */

/** Signs the URL and the body, as a custom platform might: nothing in the diagnosis names it. */
const urlSigned = defineAdapter({
  platform: "urlsigned",
  payload: z.looseObject({}),
  secrets: z.strictObject({ key: z.string().min(1) }),
  emits: [],
  verify(request, secrets) {
    const given = headerValue(request.headers, "x-url-signature");
    if (given === undefined) throw new SignatureError("missing x-url-signature header", { platform: "urlsigned" });
    if (given !== hmac("sha256", secrets.key, Buffer.concat([Buffer.from(`${request.url}\n`), request.rawBody]), "hex"))
      throw new SignatureError("signature does not match", { platform: "urlsigned" });
  },
  sign(rawBody, secrets, options) {
    const data = Buffer.concat([Buffer.from(`${options?.url}\n`), rawBody]);
    return { "x-url-signature": hmac("sha256", secrets.key, data, "hex") };
  },
  normalize: () => ({ events: [], unhandled: [] }),
});

const normalizer = createNormalizer({ adapters: { ...adapters, urlsigned: urlSigned } });
const TWILIO = TEST_SECRETS["twilio"]!.valid as { auth_tokens: string[] };
const FORM = "application/x-www-form-urlencoded";
const sms = readFileSync(join(__dirname, "..", "..", "fixtures", "twilio", "sms-text.form"));
const status = readFileSync(join(__dirname, "..", "..", "fixtures", "twilio", "status-delivered.form"));

/** A Twilio request signed for `signedUrl`, as it reached the server: `path` and `headers`. */
function twilioRequest(signedUrl: string, path: string, headers: HeaderMap, body: Uint8Array = sms) {
  const signature = normalizer.adapterFor("twilio").sign(body, TWILIO, { url: signedUrl });
  return { rawBody: body, url: path, headers: { "content-type": FORM, ...headers, ...signature } };
}

function diagnose(request: DiagnosisInput["request"], extra: Partial<DiagnosisInput> = {}) {
  return diagnoseSignature({
    normalizer,
    platform: "twilio",
    secrets: TWILIO,
    route: "block tw-main",
    request,
    others: [],
    now: new Date(),
    ...extra,
  });
}

const rewritten = (explanations: readonly Explanation[]) => explanations.find((x) => x.kind === "url_rewritten");

test("TLS ended at a proxy that forwards the scheme and host: Twilio's URL, and trust_forwarded or public_url as the fix", () => {
  const request = twilioRequest("https://hooks.example.com/webhooks/tw-main", "/webhooks/tw-main", {
    host: "10.0.0.5:3000",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "hooks.example.com",
  });
  const diagnosis = diagnose(request);
  expect(diagnosis.said).toMatch(/signature does not match the URL/);
  const found = rewritten(diagnosis.explanations)!;
  expect(found.message).toBe(
    "twilio signed https://hooks.example.com/webhooks/tw-main (scheme and host from X-Forwarded-Proto and X-Forwarded-Host), " +
      "but block tw-main verifies with http://10.0.0.5:3000/webhooks/tw-main: a proxy rewrote the URL or the scheme",
  );
  expect(found.fix).toMatch(/^set trust_forwarded: true on block tw-main/);
  expect(found.fix).toContain('public_url to "https://hooks.example.com/webhooks/tw-main"');
  expect(found.fix).toContain('docs/http.md, "Public URL"');
  // with trust_forwarded set, the same request verifies: the handler's URL is the signed one
  expect(diagnose(request, { publicUrl: { trust_forwarded: true } }).explanations[0]!.kind).toBe("verifies_now");
});

test("only the scheme changed (no forwarding headers): https instead of http, and public_url as the fix", () => {
  const request = twilioRequest("https://hooks.example.com/webhooks/tw-main?tenant=7", "/webhooks/tw-main?tenant=7", {
    host: "hooks.example.com",
  });
  const found = rewritten(diagnose(request).explanations)!;
  expect(found.message).toContain(
    "twilio signed https://hooks.example.com/webhooks/tw-main?tenant=7 (https instead of http",
  );
  expect(found.fix).toBe(
    'set public_url of block tw-main to "https://hooks.example.com/webhooks/tw-main", the URL twilio calls (docs/http.md, "Public URL")',
  );
});

test("a public_url with another path than the one Twilio calls: the configured value and the one to set", () => {
  const request = twilioRequest(
    "https://hooks.example.com/webhooks/tw-main",
    "/webhooks/tw-main",
    { host: "127.0.0.1:3000" },
    status,
  );
  const found = rewritten(
    diagnose(request, { publicUrl: { public_url: "https://hooks.example.com/twilio/old" } }).explanations,
  )!;
  expect(found.message).toContain("block tw-main verifies with https://hooks.example.com/twilio/old");
  expect(found.fix).toBe(
    'block tw-main has public_url "https://hooks.example.com/twilio/old": set it to ' +
      '"https://hooks.example.com/webhooks/tw-main", the URL twilio calls (docs/http.md, "Public URL")',
  );
});

test("a query string added on the way: signed without it", () => {
  const request = twilioRequest("https://hooks.example.com/webhooks/tw-main", "/webhooks/tw-main?via=tunnel", {
    host: "hooks.example.com",
    "x-forwarded-proto": "https",
  });
  const found = rewritten(diagnose(request, { publicUrl: { trust_forwarded: true } }).explanations)!;
  expect(found.message).toContain("without the query string");
  expect(found.fix).toMatch(/signed the URL without the query string this server received/);
});

test("the right URL but the wrong token is not a rewritten URL", () => {
  const wrong = normalizer
    .adapterFor("twilio")
    .sign(sms, TEST_SECRETS["twilio"]!.wrong, { url: "http://hooks.example.com/webhooks/tw-main" });
  const request = {
    rawBody: sms,
    url: "/webhooks/tw-main",
    headers: { host: "hooks.example.com", "content-type": FORM, ...wrong },
  };
  const diagnosis = diagnose(request);
  expect(rewritten(diagnosis.explanations)).toBeUndefined();
  expect(diagnosis.explanations.map((x) => x.kind)).toEqual(["no_match"]);
});

test("any adapter that reads the URL gets the check; one that does not is never tried with other URLs", () => {
  const KEY = { key: "url-signed-key" };
  const body = Buffer.from('{"hello":"world"}');
  const signature = urlSigned.sign(body, KEY, { url: "https://api.example.org/webhooks/custom" });
  const request = {
    rawBody: body,
    url: "/webhooks/custom",
    headers: { host: "api.example.org", ...signature },
  };
  const found = rewritten(
    diagnoseSignature({
      normalizer,
      platform: "urlsigned",
      secrets: KEY,
      route: "block custom",
      request,
      others: [],
      now: new Date(),
    }).explanations,
  );
  expect(found?.message).toContain("urlsigned signed https://api.example.org/webhooks/custom (https instead of http");

  // Messenger signs the body alone: a forwarded https is beside the point, and no URL is tried
  const META = { app_secrets: ["route-app-secret"] };
  const messengerBody = readFileSync(join(__dirname, "..", "..", "fixtures", "messenger", "text-message.json"));
  const signed = normalizer.adapterFor("messenger").sign(messengerBody, { app_secrets: ["not-the-route-secret"] });
  let urlReads = 0;
  const counted = {
    rawBody: messengerBody,
    headers: { host: "hooks.example.com", "x-forwarded-proto": "https", ...signed },
    get url() {
      urlReads += 1;
      return "/webhooks/fb-main";
    },
  };
  const diagnosis = diagnoseSignature({
    normalizer,
    platform: "messenger",
    secrets: META,
    route: "block fb-main",
    request: counted,
    others: [],
    now: new Date(),
  });
  expect(rewritten(diagnosis.explanations)).toBeUndefined();
  // read once, to build the URL the handler verified with; never again for candidates
  expect(urlReads).toBe(1);
});

test("through the handler and the inspector: a Twilio block behind a proxy explains the refused request", async () => {
  const inspector = createInspector();
  const handler = createWebhookHandler({
    normalizer,
    blocks: [{ id: "tw-main", platform: "twilio", workspace_id: "ws", secrets: TWILIO }],
    idempotency: new MemoryStore(),
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    inspector,
  });
  const request = twilioRequest("https://hooks.example.com/webhooks/tw-main", "/webhooks/tw-main", {
    host: "10.0.0.5:3000",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "hooks.example.com",
  });
  expect((await handler({ method: "POST", ...request })).status).toBe(401);
  const [entry] = inspector.entries();
  const response = await inspector.fetch(new Request(`http://127.0.0.1/_convotic/api/entries/${entry!.id}`));
  const detail = (await response!.json()) as { diagnosis: { explanations: Explanation[] } };
  expect(detail.diagnosis.explanations.map((x) => x.kind)).toEqual(["url_rewritten"]);
  expect(rewritten(detail.diagnosis.explanations)!.message).toContain(
    "twilio signed https://hooks.example.com/webhooks/tw-main",
  );
  inspector.close();
});
