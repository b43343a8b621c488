import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { adapters } from "../../src/adapters";
import { ConfigError, createNormalizer } from "../../src/core";
import { createWebhookHandler, loadBlocks } from "../../src/http";
import { loadConfig } from "../../src/cli/server-config";
import { normalizer } from "./support";

const telegram = (overrides: Record<string, unknown> = {}) => ({
  id: "tg-main",
  platform: "telegram",
  workspace_id: "ws_1",
  secrets: { secret_token: "a-real-looking-token_123" },
  ...overrides,
});

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadBlocks", () => {
  it("loads valid blocks and indexes them by id, platform and account", () => {
    const blocks = loadBlocks(
      [
        telegram(),
        {
          id: "chat-1",
          platform: "testchat",
          workspace_id: "ws_2",
          account_id: "acct-1",
          secrets: { secret: "s3cr3t-value" },
        },
      ],
      { normalizer },
    );
    expect(blocks.byId("tg-main")?.platform).toBe("telegram");
    expect(blocks.ofPlatform("testchat").map((block) => block.id)).toEqual(["chat-1"]);
    expect(blocks.byAccount("testchat", "acct-1")?.id).toBe("chat-1");
    expect(blocks.byAccount("telegram", "acct-1")).toBeUndefined();
  });

  it("keeps secrets usable but out of JSON and inspection", () => {
    const [block] = loadBlocks([telegram()], { normalizer }).all;
    expect(block!.secrets).toEqual({ secret_token: "a-real-looking-token_123" });
    expect(JSON.stringify(block)).not.toContain("a-real-looking-token_123");
    expect(inspect(block)).not.toContain("a-real-looking-token_123");
  });

  it("resolves ${VAR} and ${VAR:-default} from the injected env only", () => {
    const input = telegram({ secrets: { secret_token: "${TG_TOKEN}" }, workspace_id: "${WS:-ws_default}" });
    const [block] = loadBlocks([input], { normalizer, env: { TG_TOKEN: "from_env_123" } }).all;
    expect(block!.secrets).toEqual({ secret_token: "from_env_123" });
    expect(block!.workspace_id).toBe("ws_default");
    const [empty] = loadBlocks([telegram({ secrets: { secret_token: "${T:-fallback_1}" } })], {
      normalizer,
      env: { T: "" },
    }).all;
    expect(empty!.secrets).toEqual({ secret_token: "fallback_1" });
  });

  it("fails fast naming the block and the variable when a reference is unset", () => {
    const error = configError(() =>
      loadBlocks([telegram({ secrets: { secret_token: "${NOT_SET_ANYWHERE}" } })], { normalizer, env: {} }),
    );
    expect(error.message).toContain('block "tg-main"');
    expect(error.message).toContain("secrets.secret_token references ${NOT_SET_ANYWHERE}");
  });

  it("validates secrets with the adapter's own schema and never prints them", () => {
    const leaked = "has spaces so invalid!";
    const error = configError(() => loadBlocks([telegram({ secrets: { secret_token: leaked } })], { normalizer }));
    expect(error.message).toMatch(/^block "tg-main": secrets are missing or invalid for telegram/);
    expect(error.message).not.toContain(leaked);
    const wrongShape = configError(() =>
      loadBlocks([telegram({ secrets: { app_secret: "meta-style-secret-value" } })], { normalizer }),
    );
    expect(wrongShape.message).not.toContain("meta-style-secret-value");
    expect(configError(() => loadBlocks([telegram({ secrets: undefined })], { normalizer })).message).toContain(
      "tg-main",
    );
  });

  it("refuses unknown platforms, duplicate ids and accounts, platform-named ids and bad ids", () => {
    expect(configError(() => loadBlocks([telegram({ platform: "icq" })], { normalizer })).message).toContain(
      'unknown platform "icq"',
    );
    expect(configError(() => loadBlocks([telegram(), telegram()], { normalizer })).message).toContain(
      "used by another block",
    );
    for (const id of ["telegram", "line", "testchat"]) {
      expect(configError(() => loadBlocks([telegram({ id })], { normalizer })).message).toContain(
        "may not be a platform name",
      );
    }
    for (const id of ["", "a/b", "../x", "with space", "x".repeat(129)]) {
      expect(() => loadBlocks([telegram({ id })], { normalizer })).toThrow(ConfigError);
    }
    const chat = (id: string) => ({
      id,
      platform: "testchat",
      workspace_id: "w",
      account_id: "acct-1",
      secrets: { secret: "abcdefgh" },
    });
    expect(configError(() => loadBlocks([chat("one"), chat("two")], { normalizer })).message).toContain(
      'already used by block "one"',
    );
    expect(configError(() => loadBlocks([telegram({ acount_id: "typo" })], { normalizer })).message).toContain(
      "acount_id",
    );
    expect(configError(() => loadBlocks([{}], { normalizer })).message).toMatch(/^block #1:/);
  });

  it("groups the blocks of each shared route, and refuses blocks of one route with different secrets", () => {
    const chat = (id: string, account_id: string, secret: string, app?: string) => ({
      id,
      platform: "testchat",
      workspace_id: "w",
      account_id,
      secrets: { secret },
      ...(app === undefined ? {} : { app }),
    });
    const blocks = loadBlocks([chat("a1", "1", "s-one"), chat("a2", "2", "s-one"), chat("b1", "3", "s-two", "b")], {
      normalizer,
    });
    expect(blocks.sharedGroups("testchat").map((group) => [group.app, group.blocks.map((block) => block.id)])).toEqual([
      [undefined, ["a1", "a2"]],
      ["b", ["b1"]],
    ]);
    expect(blocks.sharedGroup("testchat", "b")).toBe(blocks.groupOf(blocks.byId("b1")!));
    const mixed = configError(() => loadBlocks([chat("a1", "1", "s-one"), chat("a2", "2", "s-two")], { normalizer }));
    expect(mixed.message).toMatch(
      /^block "a2": its secrets differ from those of block "a1", which shares the route \/testchat: /,
    );
    expect(mixed.message).toContain('"app"');
    expect(mixed.message).not.toContain("s-two");
    const sameApp = configError(() =>
      loadBlocks([chat("a1", "1", "s-one", "x"), chat("a2", "2", "s-two", "x")], { normalizer }),
    );
    expect(sameApp.message).toContain("/testchat/x");
    expect(configError(() => loadBlocks([telegram({ app: "x" })], { normalizer })).message).toContain(
      "set account_id too",
    );
    expect(configError(() => loadBlocks([chat("a1", "1", "s-one", "bad/app")], { normalizer })).message).toContain(
      "app",
    );
  });

  it("is what createWebhookHandler uses for raw block lists", () => {
    expect(() => createWebhookHandler({ normalizer, blocks: [telegram({ secrets: {} })] })).toThrow(ConfigError);
  });
});

describe("loadConfig and the bundled example", () => {
  it("validates the top level", () => {
    expect(() => loadConfig({ blocks: [] }, { normalizer })).toThrow("blocks is empty");
    expect(() => loadConfig({ blocks: [telegram()], port: "80" }, { normalizer })).toThrow(ConfigError);
    expect(() => loadConfig({ blocks: [telegram()], ack: "later" }, { normalizer })).toThrow(ConfigError);
    expect(
      loadConfig({ blocks: [telegram()], ack: "immediate", body_limit: 2048, port: 0 }, { normalizer }),
    ).toMatchObject({
      ack: "immediate",
      body_limit: 2048,
      port: 0,
    });
  });

  it("examples/convotic.config.json loads with an empty environment (npm start on a fresh clone) and honours overrides", () => {
    const example = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "examples", "convotic.config.json"), "utf8"),
    ) as unknown;
    const real = createNormalizer({ adapters });
    const config = loadConfig(example, { normalizer: real, env: {} });
    expect(config.blocks.all.length).toBeGreaterThan(0);
    const telegramBlock = config.blocks.ofPlatform("telegram")[0]!;
    expect(telegramBlock.secrets).toEqual({ secret_token: "dev-secret-token" });
    const overridden = loadConfig(example, { normalizer: real, env: { TELEGRAM_SECRET_TOKEN: "prod_token_42" } });
    expect(overridden.blocks.ofPlatform("telegram")[0]!.secrets).toEqual({ secret_token: "prod_token_42" });
  });
});
