import { createNormalizer, type VerifyRequest } from "../../src/core";
import { InputRequest, VerifyingRequest } from "../../src/core/verify-request";
import { createWebhookHandler, type HttpRequest } from "../../src/http";
import { FORMCHAT_SECRETS, formchat } from "../support/form-adapter";

/*
 * The edge hands core's pipeline one object per request, which the adapter verifies as it is (no wrapper around
 * a wrapper); its URL (the block's public URL) and query (the received path's) are built only when the adapter
 * reads them, and once.
 */
const FORM = "application/x-www-form-urlencoded";
const body = Buffer.from("Id=F1&From=%2B15550001&Text=hello");
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A handler whose adapter only keeps the request it was asked to verify, and a request counting reads of its URL. */
function watched(block: Record<string, unknown> = {}) {
  const seen: VerifyRequest[] = [];
  const keeping = { ...formchat, verify: (request: VerifyRequest) => void seen.push(request) };
  const handler = createWebhookHandler({
    normalizer: createNormalizer({ adapters: { formchat: keeping } }),
    blocks: [{ id: "form1", platform: "formchat", workspace_id: "ws", secrets: FORMCHAT_SECRETS.valid, ...block }],
    logger: quiet,
  });
  let urlReads = 0;
  const request: HttpRequest = {
    method: "POST",
    get url() {
      urlReads += 1;
      return "/webhooks/form1?tenant=acme&Body=It%27s+ok";
    },
    headers: { "content-type": FORM, host: "10.0.0.5:3000" },
    rawBody: body,
  };
  return { handler, request, seen, urlReads: () => urlReads };
}

describe("the request an adapter verifies at the HTTP edge", () => {
  it("is the edge's own object, not wrapped again by the pipeline", async () => {
    const { handler, request, seen } = watched();
    expect((await handler(request)).status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(VerifyingRequest);
    expect(seen[0]).not.toBeInstanceOf(InputRequest);
    expect(seen[0]!.rawBody).toBe(body);
    expect(seen[0]!.headers).toBe(request.headers);
  });

  it("builds the URL and the query only when read, each once", async () => {
    const { handler, request, seen, urlReads } = watched({ public_url: "https://hooks.example.com/formchat" });
    await handler(request);
    const verifying = seen[0]!;
    // routing and logging read the request's URL; the adapter read nothing, so nothing was built for it
    const beforeReading = urlReads();
    await new Promise((resolve) => setImmediate(resolve));
    expect(urlReads()).toBe(beforeReading);
    expect(verifying.url).toBe("https://hooks.example.com/formchat?tenant=acme&Body=It%27s+ok");
    const afterUrl = urlReads();
    expect(afterUrl).toBeGreaterThan(beforeReading);
    expect(verifying.url).toBe("https://hooks.example.com/formchat?tenant=acme&Body=It%27s+ok");
    expect(urlReads()).toBe(afterUrl);
    // the query is the received path's (not read through the public URL), parsed once
    const query = verifying.query;
    expect([...query]).toEqual([
      ["tenant", "acme"],
      ["Body", "It's ok"],
    ]);
    expect(urlReads()).toBe(afterUrl + 1);
    expect(verifying.query).toBe(query);
    expect(urlReads()).toBe(afterUrl + 1);
  });

  it("without public_url, is the URL the server saw", async () => {
    const { handler, request, seen } = watched();
    await handler(request);
    expect(seen[0]!.url).toBe("http://10.0.0.5:3000/webhooks/form1?tenant=acme&Body=It%27s+ok");
  });
});
