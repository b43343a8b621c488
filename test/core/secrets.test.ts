import { adapters } from "../../src/adapters";
import { checkSecrets, ConfigError, createNormalizer, matchesAnySecret, type PlatformAdapter } from "../../src/core";
import { checkSecretsOnce } from "../../src/core/engine";

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
    [
      "line",
      { channel_secret: "abcdefgh" },
      'expected { channel_secrets }; "channel_secret" is not a key (did you mean channel_secrets?)',
    ],
    ["line", { channel_secrets: [] }, "channel_secrets: Too small"],
    [
      "messenger",
      { app_secret: "abcdefgh" },
      'expected { app_secrets, verify_token?, allow_sha1? }; "app_secret" is not a key (did you mean app_secrets?)',
    ],
    [
      "instagram",
      { app_secrets: ["abcdefgh"], verifytoken: "tok" },
      '"verifytoken" is not a key (did you mean verify_token?)',
    ],
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
    expect(() => normalizer.handshake("messenger", handshake, {}, { workspace_id: "w", block_id: "b" })).toThrow(
      "app_secrets is missing",
    );
  });
});

describe("the request path's secrets check (checkSecretsOnce)", () => {
  const line = adapterOf("line");

  it("validates a secrets object once, then again whenever its content changes, failing closed", () => {
    const secrets: { channel_secrets: unknown } = { channel_secrets: ["abc"] };
    expect(checkSecretsOnce(line, secrets)).toEqual({ channel_secrets: ["abc"] });
    expect(checkSecretsOnce(line, secrets)).toEqual({ channel_secrets: ["abc"] });
    (secrets.channel_secrets as string[]).push("def");
    expect(checkSecretsOnce(line, secrets)).toEqual({ channel_secrets: ["abc", "def"] });
    secrets.channel_secrets = [];
    expect(() => checkSecretsOnce(line, secrets)).toThrow(ConfigError);
    secrets.channel_secrets = "abc";
    expect(() => checkSecretsOnce(line, secrets)).toThrow(ConfigError);
  });

  it("checks one object again for another adapter, and checks values that are not objects every time", () => {
    const secrets = { channel_secrets: ["abc"] };
    expect(checkSecretsOnce(line, secrets)).toEqual(secrets);
    expect(() => checkSecretsOnce(adapterOf("telegram"), secrets)).toThrow(ConfigError);
    expect(() => checkSecretsOnce(line, undefined)).toThrow(ConfigError);
    expect(() => checkSecretsOnce(line, { channel_secrets: [1n] })).toThrow(ConfigError);
  });

  it("sees every kind of change to a remembered object: added, removed, reordered, replaced keys, at any level", () => {
    const messenger = adapterOf("messenger");
    const secrets: Record<string, unknown> = { app_secrets: ["abc"], verify_token: "tok" };
    expect(checkSecretsOnce(messenger, secrets)).toEqual({ app_secrets: ["abc"], verify_token: "tok" });
    secrets["verify_token"] = "tok2";
    expect(checkSecretsOnce(messenger, secrets)).toEqual({ app_secrets: ["abc"], verify_token: "tok2" });
    secrets["app_secret"] = "typo"; // an unknown key added: a strict schema refuses it
    expect(() => checkSecretsOnce(messenger, secrets)).toThrow(ConfigError);
    delete secrets["app_secret"];
    expect(checkSecretsOnce(messenger, secrets)).toEqual({ app_secrets: ["abc"], verify_token: "tok2" });
    (secrets["app_secrets"] as unknown[])[0] = 42; // a nested value replaced
    expect(() => checkSecretsOnce(messenger, secrets)).toThrow(ConfigError);
    secrets["app_secrets"] = ["abc"];
    expect(checkSecretsOnce(messenger, secrets)).toEqual({ app_secrets: ["abc"], verify_token: "tok2" });
    delete secrets["app_secrets"];
    expect(() => checkSecretsOnce(messenger, secrets)).toThrow(ConfigError);
  });

  it("checks an object holding anything but plain data every time (a getter is read anew on every call)", () => {
    let value: unknown = ["abc"];
    const secrets = {
      get channel_secrets() {
        return value;
      },
    };
    expect(checkSecretsOnce(line, secrets)).toEqual({ channel_secrets: ["abc"] });
    value = [];
    expect(() => checkSecretsOnce(line, secrets)).toThrow(ConfigError);
    value = ["def"];
    expect(checkSecretsOnce(line, secrets)).toEqual({ channel_secrets: ["def"] });
    class Holder {
      channel_secrets = ["abc"];
    }
    const held = new Holder();
    expect(() => checkSecretsOnce(line, held)).not.toThrow();
    held.channel_secrets = [];
    expect(() => checkSecretsOnce(line, held)).toThrow(ConfigError);
  });
});

describe("matchesAnySecret", () => {
  const signature = (secret: string) => `sig-${secret}`;

  it("matches any configured secret and nothing else, whatever the given bytes", () => {
    expect(matchesAnySecret(["a", "b"], "sig-b", signature)).toBe(true);
    expect(matchesAnySecret(["a", "b"], "sig-c", signature)).toBe(false);
    expect(matchesAnySecret(["a"], "sig-", signature)).toBe(false);
    expect(matchesAnySecret(["a"], "sig-é", signature)).toBe(false); // as many characters, more bytes: no throw
    expect(matchesAnySecret([], "sig-a", signature)).toBe(false);
  });

  it("compares after a prefix, and reads A-F as a-f for a hex signature, without copying the header", () => {
    const hex = (secret: string) => (secret === "k" ? "09afbe" : "112233");
    expect(matchesAnySecret(["x", "k"], "sha256=09afbe", hex, { skipPrefix: 7 })).toBe(true);
    expect(matchesAnySecret(["x", "k"], "sha256=09AFBE", hex, { skipPrefix: 7 })).toBe(false); // case counts unless told otherwise
    expect(matchesAnySecret(["x", "k"], "sha256=09AFBE", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(true);
    expect(matchesAnySecret(["x", "k"], "sha256=09aFbE", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(true);
    expect(matchesAnySecret(["k"], "sha256=09afbe0", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false); // longer
    expect(matchesAnySecret(["k"], "sha256=09afb", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false); // shorter
    expect(matchesAnySecret(["k"], "sha256=09AFBF", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false); // one digit off
    // only A-F fold: a byte that is a-f with another bit set, or a letter past F, never matches
    expect(matchesAnySecret(["k"], "sha256=09!fbe", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false);
    expect(matchesAnySecret(["k"], "sha256=09Gfbe", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false);
    expect(matchesAnySecret(["k"], "sha256=09\u0001fbe", hex, { skipPrefix: 7, hexAnyCase: true })).toBe(false);
  });
});
