import { loadBlocks } from "../../src/http";
import { parseRoute, pathnameOf, resolveTarget, RouteMemo, routePath } from "../../src/http/route";
import { HttpError } from "../../src/http/errors";
import { normalizer, secretsFor } from "./support";

describe("parseRoute (pure)", () => {
  it.each([
    ["/webhooks/tg-main", { key: "tg-main" }],
    ["/webhooks/tg-main/", { key: "tg-main" }],
    ["/webhooks/tg-main?hub.mode=subscribe", { key: "tg-main" }],
    ["https://hooks.example.test/webhooks/messenger", { key: "messenger" }],
    ["/webhooks/a%20b", { key: "a b" }],
    ["/webhooks/messenger/app-1", { key: "messenger", app: "app-1" }],
    ["/webhooks/messenger/app-1/?x=1", { key: "messenger", app: "app-1" }],
  ])("%s → %j", (url, route) => {
    expect(parseRoute(url, "/webhooks")).toEqual(route);
  });

  it.each([
    "/webhooks",
    "/webhooks/",
    "/elsewhere/x",
    "/webhooksx/y",
    "/webhooks/%E0%A4%A",
    "/webhooks/a/b/c",
    "/webhooks//b",
    "http://[::1",
  ])("%s is not a route", (url) => {
    expect(parseRoute(url, "/webhooks")).toBeUndefined();
  });

  it("honours another base path and logs the path re-encoded, without the query", () => {
    const route = parseRoute("/api/hooks/x%0Ay?token=secret", "/api/hooks");
    expect(route).toEqual({ key: "x\ny" });
    expect(routePath(route, "/api/hooks")).toBe("/api/hooks/x%0Ay");
    expect(routePath(undefined, "/api/hooks")).toBe("(other)");
    expect(routePath({ key: "line", app: "a b" }, "/webhooks")).toBe("/webhooks/line/a%20b");
  });
});

describe("resolveTarget", () => {
  const chat = secretsFor("testchat");
  const blocks = loadBlocks(
    [
      { id: "tg", platform: "telegram", workspace_id: "ws", secrets: secretsFor("telegram").valid },
      { id: "a1", platform: "testchat", workspace_id: "ws", account_id: "acct-1", secrets: chat.valid },
      { id: "a2", platform: "testchat", workspace_id: "ws", account_id: "acct-2", secrets: chat.valid },
      { id: "b3", platform: "testchat", workspace_id: "ws", account_id: "acct-3", app: "app-b", secrets: chat.wrong },
      {
        id: "l1",
        platform: "line",
        workspace_id: "ws",
        account_id: "U1",
        app: "bot-1",
        secrets: secretsFor("line").valid,
      },
    ],
    { normalizer },
  );
  const resolve = (key?: string, app?: string) =>
    resolveTarget(
      key === undefined ? undefined : app === undefined ? { key } : { key, app },
      blocks,
      normalizer,
      "/webhooks",
    );
  const notFound = (key?: string, app?: string) => {
    try {
      resolve(key, app);
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      return [(error as HttpError).status, (error as HttpError).message];
    }
    throw new Error("expected a 404");
  };

  it("finds a block by id, and the shared route of a platform with accounts", () => {
    expect(resolve("tg")).toMatchObject({ kind: "block", platform: "telegram", block: { id: "tg" } });
    const shared = resolve("testchat");
    expect(shared.kind === "shared" && shared.group.blocks.map((block) => block.id)).toEqual(["a1", "a2"]);
    const app = resolve("testchat", "app-b");
    expect(app.kind === "shared" && app.group.blocks.map((block) => block.id)).toEqual(["b3"]);
    const line = resolve("line", "bot-1");
    expect(line.kind === "shared" && [line.group.app, line.group.blocks.map((block) => block.id)]).toEqual([
      "bot-1",
      ["l1"],
    ]);
  });

  it("404s with the fix, never the configured ids", () => {
    expect(notFound()).toEqual([404, "no webhook route here: POST to /webhooks/<block id>"]);
    expect(notFound("telegram")).toEqual([404, expect.stringContaining("telegram has no shared route")]);
    expect(notFound("line")).toEqual([404, "the line blocks name their app: POST to /webhooks/line/<app>"]);
    expect(notFound("instagram")).toEqual([404, "no instagram block is configured with an account_id"]);
    expect(notFound("testchat", "app-z")).toEqual([404, "no testchat block is configured with this app"]);
    expect(notFound("tg", "x")).toEqual([404, 'unknown platform "tg"']);
    expect(notFound("nope")).toEqual([404, 'unknown block "nope"']);
  });
});

describe("pathnameOf", () => {
  it.each([
    "/webhooks/wa",
    "/webhooks/wa/",
    "/webhooks/messenger/app-1",
    "/webhooks//b",
    "//webhooks/wa",
    "/webhooks/./wa",
    "/webhooks/../metrics",
    "/webhooks/a%2Fb",
    "/webhooks/wa?x=1",
    "/webhooks/wa#frag",
    "/webhooks/w\\a",
    "/webhooks/w\ta",
    "/webhooks/wä",
    "/healthz",
    "/",
    "https://hooks.example.test/webhooks/x",
  ])("%j: what the URL parser says", (url) => {
    expect(pathnameOf(url)).toBe(new URL(url, "http://localhost").pathname);
  });

  it("throws where the URL parser throws", () => {
    expect(() => pathnameOf("http://[::1")).toThrow();
  });
});

describe("RouteMemo", () => {
  it("remembers a URL's route and logged path, not a URL with a query, and no more than its bound", () => {
    const memo = new RouteMemo(2);
    const route = parseRoute("/webhooks/wa", "/webhooks")!;
    memo.remember("/webhooks/wa", route, routePath(route, "/webhooks"));
    expect(memo.get("/webhooks/wa")).toEqual({ route: { key: "wa" }, path: "/webhooks/wa" });
    memo.remember("/webhooks/wa?hub.challenge=1", route, "/webhooks/wa");
    expect(memo.get("/webhooks/wa?hub.challenge=1")).toBeUndefined();
    memo.remember("/webhooks/%77a", route, "/webhooks/wa");
    memo.remember("/webhooks/w%61", route, "/webhooks/wa");
    expect(memo.get("/webhooks/%77a")).toBeDefined();
    expect(memo.get("/webhooks/w%61")).toBeUndefined();
  });
});
