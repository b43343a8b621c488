import { adapters } from "../../src/adapters";
import { checkSecrets, ConfigError, createNormalizer, type PlatformAdapter } from "../../src/core";

/*
 * One secrets check for loading blocks, verifying and handshakes. Its message names the keys the platform
 * expects and which one is missing or misspelt (derived from each adapter's own schema), never a value.
 */
const normalizer = createNormalizer({ adapters });
const adapterOf = (platform: string) => normalizer.adapterFor(platform) as PlatformAdapter;

function messageFor(platform: string, secrets: unknown, where?: string): string {
  try {
    checkSecrets(adapterOf(platform), secrets, where);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error("expected a ConfigError");
}

describe("checkSecrets", () => {
  it("returns the parsed secrets when they are valid", () => {
    expect(checkSecrets(adapterOf("line"), { channel_secrets: ["abc"] })).toEqual({ channel_secrets: ["abc"] });
  });

  it.each([
    ["telegram", undefined, "expected { secret_token } or { allow_unverified: true }, got nothing"],
    ["telegram", "token-as-a-string", "expected { secret_token } or { allow_unverified: true }, got a string"],
    ["telegram", { secret_tokn: "abcdefgh" }, '"secret_tokn" is not a key (did you mean secret_token?)'],
    ["telegram", {}, "secret_token is missing"],
    ["line", { channel_secret: "abcdefgh" }, 'expected { channel_secrets }; "channel_secret" is not a key (did you mean channel_secrets?)'],
    ["line", { channel_secrets: [] }, "channel_secrets: Too small"],
    ["messenger", { app_secret: "abcdefgh" }, 'expected { app_secrets, verify_token?, allow_sha1? }; "app_secret" is not a key (did you mean app_secrets?)'],
    ["instagram", { app_secrets: ["abcdefgh"], verifytoken: "tok" }, '"verifytoken" is not a key (did you mean verify_token?)'],
    ["whatsapp", { verify_token: "tok" }, "app_secrets is missing"],
  ])("%s %j → %s", (platform, secrets, expected) => {
    const message = messageFor(platform, secrets, 'block "b1"');
    expect(message).toMatch(new RegExp(`^block "b1": secrets are missing or invalid for ${platform}: expected `));
    expect(message).toContain(expected);
    expect(message).not.toContain("(root)");
    expect(message).not.toContain("nonoptional");
    expect(message).not.toContain("abcdefgh");
  });

  it("never quotes a value", () => {
    expect(messageFor("telegram", { secret_token: "has spaces so invalid!" })).not.toContain("has spaces");
  });

  it("is what verify and handshake use: the same message, prefixed with the platform", () => {
    const request = { rawBody: Buffer.from("{}"), headers: {} };
    expect(() => normalizer.verify("messenger", request, { app_secret: "x" })).toThrow(
      "[messenger] secrets are missing or invalid, refusing to accept requests: expected { app_secrets, verify_token?, allow_sha1? }; " +
        '"app_secret" is not a key (did you mean app_secrets?)',
    );
    const handshake = { query: new URLSearchParams(), headers: {} };
    expect(() => normalizer.handshake("messenger", handshake, {}, { workspace_id: "w", block_id: "b" })).toThrow("app_secrets is missing");
  });
});
