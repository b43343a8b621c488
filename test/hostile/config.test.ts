import { ConfigError } from "../../src/core";
import { loadConfig } from "../../src/cli/server-config";
import { TEST_SECRETS } from "../support/secrets";
import { normalizer } from "./support";

/*
 * The hostile corpus, for configuration (issue 23): what a careless operator writes. Every malformed reference, in
 * every secret field of every platform and in the sink and store URLs, is a ConfigError naming the field and never
 * the value; every credential in a sink URL is refused without being quoted.
 */
const MALFORMED = [
  "${META-APP-SECRET}",
  "$X",
  "${X",
  "${ X }",
  "${U:-${X}}",
  "${X:=y}",
  "${U-y}",
  "${X}$",
  "$",
  "$1",
  "${X:-a}b$c",
  "${X:?}",
  "${#X}",
  "${X[0]}",
];
const env = { X: "resolved-value-abcdefghijklmnop", U: "" };

function outcome(config: unknown): string {
  try {
    loadConfig(config, { normalizer, env });
    return "loaded";
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

/** Every string leaf of a secrets object, as [field path, setter]. */
function secretFields(
  secrets: Record<string, unknown>,
): { path: string; with: (value: string) => Record<string, unknown> }[] {
  return Object.entries(secrets).flatMap(([key, value]) => {
    if (typeof value === "string") return [{ path: key, with: (text: string) => ({ ...secrets, [key]: text }) }];
    if (Array.isArray(value))
      return value.map((_, index) => ({
        path: `${key}[${index}]`,
        with: (text: string) => ({ ...secrets, [key]: value.map((item, at) => (at === index ? text : item)) }),
      }));
    return [];
  });
}

const cases = Object.entries(TEST_SECRETS).flatMap(([platform, secrets]) =>
  secretFields(secrets.valid as Record<string, unknown>).flatMap((field) =>
    MALFORMED.map((reference) => ({ platform, field, reference })),
  ),
);

describe(`config corpus: ${cases.length} malformed references in every secret field of every platform`, () => {
  it.each(cases.map((item) => [item.platform, item.field.path, item.reference, item] as const))(
    "%s secrets.%s = %s is refused, naming the field",
    (_platform, path, reference, item) => {
      const message = outcome({
        blocks: [{ id: "b-1", platform: item.platform, workspace_id: "ws", secrets: item.field.with(reference) }],
      });
      expect(message).toBe(
        `block "b-1": secrets.${path} has a malformed reference (write \${NAME}, \${NAME:-default}, or $$ for a literal $)`,
      );
      expect(message).not.toContain(env.X);
    },
  );
});

describe("config corpus: credentials in sink and store URLs", () => {
  const blocks = [{ id: "b-1", platform: "telegram", workspace_id: "ws", secrets: TEST_SECRETS["telegram"]!.valid }];
  const webhook = (url: string) => ({
    kind: "webhook",
    name: "crm",
    url,
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    dead_letter: "dl.jsonl",
  });
  it.each([
    [
      "a webhook URL with user and password",
      { sinks: [webhook("https://user:pw-Secret1@hooks.example.com/in")] },
      "0.url: credentials in the URL are refused",
    ],
    [
      "a webhook URL with a user only",
      { sinks: [webhook("http://pw-Secret1@127.0.0.1/in")] },
      "0.url: credentials in the URL are refused",
    ],
    [
      "a webhook URL with an empty user",
      { sinks: [webhook("http://:pw-Secret1@127.0.0.1/in")] },
      "0.url: credentials in the URL are refused",
    ],
    [
      "a NATS URL with a token",
      { sinks: [{ kind: "jetstream", servers: "nats://pw-Secret1@127.0.0.1:4222", stream: { name: "S" } }] },
      "0.servers: credentials in the URL are refused",
    ],
    [
      "a TLS NATS URL with user and password",
      { sinks: [{ kind: "jetstream", servers: ["tls://u:pw-Secret1@n1:4222"], stream: { name: "S" } }] },
      "0.servers.0: credentials in the URL are refused",
    ],
    [
      "a Redis URL written in the file",
      { idempotency: { store: "redis", url: "redis://:pw-Secret1@127.0.0.1:6379" } },
      'put the whole URL in the environment: "url": "${REDIS_URL}"',
    ],
    [
      "a TLS Redis URL with a user",
      { idempotency: { store: "redis", url: "rediss://default:pw-Secret1@cache:6380/2" } },
      'put the whole URL in the environment: "url": "${REDIS_URL}"',
    ],
    [
      "a Redis URL around a reference",
      { idempotency: { store: "redis", url: "redis://:${X}@127.0.0.1:6379" } },
      'put the whole URL in the environment: "url": "${REDIS_URL}"',
    ],
  ])("refuses %s without quoting it", (_name, section, expected) => {
    const message = outcome({ blocks, ...section });
    expect(message).toContain(expected);
    expect(message).not.toContain("pw-Secret1");
    expect(message).not.toContain(env.X);
  });

  it("takes the same URLs when they carry no credentials, and a Redis URL from the environment", () => {
    expect(outcome({ blocks, sinks: [webhook("https://hooks.example.com/in?source=convotic")] })).toBe("loaded");
    expect(
      outcome({
        blocks,
        sinks: [{ kind: "jetstream", servers: ["nats://n1:4222", "n2:4222"], token: "${X}", stream: { name: "S" } }],
      }),
    ).toBe("loaded");
    expect(
      outcome({ blocks, idempotency: { store: "redis", url: "${REDIS_URL_UNSET:-redis://127.0.0.1:6379}" } }),
    ).toBe("loaded");
  });
});
