import type { BlockSet, HttpResponse, WebhookHandler } from "../../src/http";
import { observeHandler } from "../../src/observe";

/*
 * The answer of an observed handler is the handler's own, its headers followed by `x-request-id` (the caller's id
 * when it is a plain token): what `{ ...headers, "x-request-id": id }` gives, built without the spread.
 */
function observed(headers: Record<string, string>) {
  const inner = Object.assign(async (): Promise<HttpResponse> => ({ status: 202, headers, body: "b" }), {
    basePath: "/webhooks",
    bodyLimit: 1024,
    matches: () => true,
    drain: async () => 0,
  }) as unknown as WebhookHandler;
  return observeHandler(inner, { blocks: {} as BlockSet, opsRoutes: false });
}

const request = (id?: string) => ({
  method: "POST",
  url: "/webhooks/x",
  headers: id === undefined ? {} : { "x-request-id": id },
  rawBody: new Uint8Array(),
});

describe("observeHandler's answer headers", () => {
  it.each([
    ["one header", { "content-type": "application/json; charset=utf-8" }],
    ["several, in their order", { allow: "GET, POST", "content-type": "text/plain", "retry-after": "1" }],
    ["none", {}],
    ["an x-request-id of the handler's own, replaced where it was", { "x-request-id": "inner", b: "2" }],
  ] as [string, Record<string, string>][])("%s", async (_name, headers) => {
    const answer = await observed(headers)(request("req-7"));
    expect(answer.status).toBe(202);
    expect(answer.body).toBe("b");
    expect(Object.entries(answer.headers)).toEqual(Object.entries({ ...headers, "x-request-id": "req-7" }));
    expect(headers["x-request-id"]).not.toBe("req-7");
  });

  it("makes an id when the caller gave none", async () => {
    const answer = await observed({ "content-type": "text/plain" })(request());
    expect(Object.keys(answer.headers)).toEqual(["content-type", "x-request-id"]);
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
