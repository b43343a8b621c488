import { z } from "zod";
import { adapters } from "../../src/adapters";
import {
  EnvelopeBuilder,
  SignatureError,
  constantTimeEqual,
  createNormalizer,
  defineAdapter,
  headerValue,
  hmac,
  type NormalizeResult,
  type UnhandledEvent,
  type UnifiedEvent,
} from "../../src/core";
import {
  createWebhookHandler,
  startServer,
  type EventSink,
  type LogFields,
  type Logger,
  type RunningServer,
  type WebhookHandler,
  type WebhookHandlerOptions,
} from "../../src/http";
import { fixtureContext, fixturesOf, type Fixture } from "../support/fixtures";
import { TEST_SECRETS } from "../support/secrets";

/*
 * A test-only platform with what Telegram lacks (a body signature, `accounts` and a GET handshake), so the
 * shared-route and handshake paths of the edge are exercised before the Meta and LINE adapters land. It goes
 * through exactly the same generic code as they will.
 */
const SIGNATURE_HEADER = "x-testchat-signature";

const TestchatPayload = z.looseObject({
  object: z.literal("testchat"),
  entry: z.array(
    z.looseObject({
      account: z.string().min(1),
      events: z.array(z.looseObject({ id: z.string(), user: z.string(), kind: z.string(), ts: z.number() })),
    }),
  ),
});
type TestchatPayload = z.output<typeof TestchatPayload>;

const TestchatSecrets = z.strictObject({ secret: z.string().min(1), verify_token: z.string().min(1).optional() });

export const testchat = defineAdapter({
  platform: "testchat",
  payload: TestchatPayload,
  secrets: TestchatSecrets,
  emits: ["messaging.follow", "messaging.unfollow", "platform.webhook.verified"],
  verify(request, secrets) {
    const given = headerValue(request.headers, SIGNATURE_HEADER);
    if (given === undefined) throw new SignatureError(`missing ${SIGNATURE_HEADER} header`, { platform: "testchat" });
    if (!constantTimeEqual(given, `sha256=${hmac("sha256", secrets.secret, request.rawBody, "hex")}`)) {
      throw new SignatureError("signature does not match the request body", { platform: "testchat" });
    }
  },
  sign(rawBody, secrets) {
    return { [SIGNATURE_HEADER]: `sha256=${hmac("sha256", secrets.secret, rawBody, "hex")}` };
  },
  handshake(request, secrets, context) {
    const token = request.query.get("token");
    const challenge = request.query.get("challenge");
    if (
      secrets.verify_token === undefined ||
      token === null ||
      challenge === null ||
      !constantTimeEqual(token, secrets.verify_token)
    ) {
      return { status: 403, body: "verification failed", events: [] };
    }
    const builder = new EnvelopeBuilder("testchat", context);
    builder.event("platform.webhook.verified", {
      key: `handshake:${challenge}`,
      data: { method: "challenge" },
      metadata: { raw_platform_event_id: `challenge:${challenge}` },
    });
    return { status: 200, body: challenge, events: builder.result().events };
  },
  normalize(payload: TestchatPayload, context) {
    const builder = new EnvelopeBuilder("testchat", context);
    for (const entry of payload.entry) {
      for (const event of entry.events) {
        const base = { contact_id: builder.contactId(event.user), conversation_id: builder.conversationId(event.user) };
        const input = { key: event.id, timestamp: event.ts, metadata: { raw_platform_event_id: event.id } };
        if (event.kind === "follow") builder.event("messaging.follow", { ...input, data: base });
        else if (event.kind === "unfollow") builder.event("messaging.unfollow", { ...input, data: base });
        else builder.unhandled(event.kind, event, { raw_platform_event_id: event.id });
      }
    }
    return builder.result();
  },
  accounts(payload: TestchatPayload) {
    const accounts = [...new Set(payload.entry.map((entry) => entry.account))];
    return accounts.map((account_id) => ({
      account_id,
      payload: { ...payload, entry: payload.entry.filter((entry) => entry.account === account_id) },
    }));
  },
});

export const TESTCHAT_SECRETS = {
  valid: { secret: "testchat-app-secret-9f3a", verify_token: "testchat-verify-token-71c2" },
  wrong: { secret: "testchat-other-secret-44d0", verify_token: "testchat-other-token-0b9e" },
};

function testchatBody(entries: { account: string; events: { id: string; user: string; kind: string }[] }[]): Buffer {
  const body = {
    object: "testchat",
    entry: entries.map((entry) => ({
      ...entry,
      events: entry.events.map((event, index) => ({ ...event, ts: 1_790_000_000_000 + index })),
    })),
  };
  return Buffer.from(JSON.stringify(body));
}

const TESTCHAT_FIXTURES: Fixture[] = [
  {
    name: "follow",
    body: testchatBody([{ account: "acct-100", events: [{ id: "ev-1", user: "u-1", kind: "follow" }] }]),
  },
  {
    name: "multi-account-batch",
    body: testchatBody([
      {
        account: "acct-100",
        events: [
          { id: "ev-2", user: "u-2", kind: "follow" },
          { id: "ev-3", user: "u-3", kind: "sticker" },
        ],
      },
      { account: "acct-200", events: [{ id: "ev-4", user: "u-4", kind: "unfollow" }] },
      { account: "acct-100", events: [{ id: "ev-5", user: "u-5", kind: "unfollow" }] },
    ]),
  },
].map((fixture) => ({
  ...fixture,
  platform: "testchat",
  path: `(inline)/testchat/${fixture.name}.json`,
  goldenPath: "",
}));

/** Every built-in adapter plus the test-only one: the HTTP suites iterate over all of them. */
export const registry = { ...adapters, testchat };
export const normalizer = createNormalizer({ adapters: registry });

/**
 * The platforms that post JSON and answer with the edge's JSON counts: the per-platform HTTP suites (server,
 * fetch, Express) are written for them. A platform that declares other content types or its own answer (Twilio)
 * runs the same shims in its own suite (test/http/twilio-server.test.ts).
 */
export const jsonPlatforms = normalizer.platforms.filter((platform) => {
  const adapter = normalizer.adapterFor(platform);
  return adapter.contentTypes === undefined && adapter.acknowledgement === undefined;
});

export function fixturesFor(platform: string): Fixture[] {
  return platform === "testchat" ? TESTCHAT_FIXTURES : fixturesOf(platform);
}

export function secretsFor(platform: string): { valid: unknown; wrong: unknown } {
  const secrets = platform === "testchat" ? TESTCHAT_SECRETS : TEST_SECRETS[platform];
  if (secrets === undefined) throw new Error(`no test secrets for ${platform}: add them to test/support/secrets.ts`);
  return secrets;
}

export interface HandshakeCase {
  readonly valid: string;
  readonly invalid: string;
  /** what a successful handshake answers as its plain-text body */
  readonly body: string;
}

/** The queries a platform's `valid` test secrets accept and refuse, for adapters with a handshake. */
export function handshakeFor(platform: string): HandshakeCase {
  if (platform === "testchat") {
    return {
      valid: "token=testchat-verify-token-71c2&challenge=abc123",
      invalid: "token=nope&challenge=abc123",
      body: "abc123",
    };
  }
  const handshake = TEST_SECRETS[platform]?.handshake;
  if (handshake === undefined)
    throw new Error(`${platform} has a handshake but test/support/secrets.ts has no handshake query`);
  return { valid: handshake.query, invalid: handshake.invalid, body: handshake.challenge };
}

/** One block per platform with its valid test secrets, ids `<prefix>_<platform>`. */
export function testBlocks(prefix: string, workspace_id: string) {
  return normalizer.platforms.map((platform) => ({
    id: `${prefix}_${platform}`,
    platform,
    workspace_id,
    secrets: secretsFor(platform).valid,
  }));
}

/** The fixed receive time of every test server, equal to the one the golden files were made with. */
export const RECEIVED_AT = new Date(fixtureContext("telegram").received_at as string);
export const clock = () => RECEIVED_AT;

/** Headers every test sends are recorded so the log check can look for their values. */
export const sentHeaderValues = new Set<string>();

export function signedHeaders(
  platform: string,
  body: Uint8Array,
  secrets: unknown,
  contentType = "application/json",
): Record<string, string> {
  const headers = normalizer.adapterFor(platform).sign(body, secrets);
  for (const value of Object.values(headers)) sentHeaderValues.add(value);
  return { "content-type": contentType, ...headers };
}

/** A logger that keeps every line (message and fields) for the no-secrets check. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: LogFields) =>
    void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  return { lines, info: record("info"), warn: record("warn"), error: record("error") };
}

/** A sink that records what reached it, in order. */
export function recordingSink(): EventSink & { events: UnifiedEvent[]; unhandled: UnhandledEvent[]; reset(): void } {
  const events: UnifiedEvent[] = [];
  const unhandled: UnhandledEvent[] = [];
  const sink: EventSink = (batch, rest) => {
    events.push(...batch);
    unhandled.push(...rest);
  };
  return Object.assign(sink, {
    events,
    unhandled,
    reset() {
      events.length = 0;
      unhandled.length = 0;
    },
  });
}

/** Every test secret (valid and wrong, all platforms) and every header value sent: none may reach a log. */
export function forbiddenInLogs(): string[] {
  const found = new Set<string>(sentHeaderValues);
  const walk = (value: unknown): void => {
    if (typeof value === "string") found.add(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
  };
  // the test secrets include every verify token, so the handshake queries add nothing to look for
  for (const platform of normalizer.platforms) walk(secretsFor(platform));
  // short values ("true", "sha1") would match by accident; every real secret and signature is longer
  return [...found].filter((value) => value.length >= 8);
}

export function expectNoSecrets(lines: readonly string[]): void {
  const text = lines.join("\n");
  const leaked = forbiddenInLogs().filter((secret) => text.includes(secret));
  expect(leaked).toEqual([]);
}

/** What the pipeline itself makes of a body for a block: the reference the HTTP answers are checked against. */
export function expected(
  platform: string,
  body: Uint8Array,
  block: { id: string; workspace_id: string },
): NormalizeResult {
  return normalizer.normalize(platform, body, {
    workspace_id: block.workspace_id,
    block_id: block.id,
    received_at: RECEIVED_AT,
  });
}

type TestHandlerOptions = Partial<WebhookHandlerOptions> & Pick<WebhookHandlerOptions, "blocks">;

/** A handler with the settings every HTTP test shares (this registry, the fixed clock, an empty env). */
export function testHandler(options: TestHandlerOptions): WebhookHandler {
  return createWebhookHandler({ normalizer, clock, env: {}, ...options });
}

/**
 * The state one shim's suite shares: a capturing logger, a recording sink reset before each test, one block per
 * platform (ids `<prefix>_<platform>`), and handlers built over them.
 */
export function shimSuite(prefix: string, workspace_id: string) {
  const logger = captureLogger();
  const sink = recordingSink();
  const blocks = testBlocks(prefix, workspace_id);
  beforeEach(() => sink.reset());
  return {
    logger,
    sink,
    blocks,
    blockOf: (platform: string) => blocks.find((block) => block.platform === platform)!,
    handler: (options: Partial<WebhookHandlerOptions> = {}) => testHandler({ blocks, sink, logger, ...options }),
  };
}

const runningServers: RunningServer[] = [];

// a test that leaves a hung handler behind must not hold the file for the default 10 s grace
afterAll(async () => {
  await Promise.all(runningServers.splice(0).map((server) => server.close({ graceMs: 1000 })));
});

/** A real `node:http` server on 127.0.0.1 and an ephemeral port over a test handler; closed after the file. */
export async function serveTest(options: TestHandlerOptions) {
  // records only when the caller brings no sink of its own
  const sink = recordingSink();
  const handler = testHandler({ sink, ...options });
  const server = await startServer(handler);
  runningServers.push(server);
  return { handler, server, sink, url: (path: string) => `${server.url}${path}` };
}

/** POSTs and reads the whole answer. */
export async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

/** One server per describe block (started by `start`), its sink reset before each test. */
export function serverPerSuite(start: () => ReturnType<typeof serveTest>) {
  let env: Awaited<ReturnType<typeof serveTest>> | undefined;
  beforeAll(async () => {
    env = await start();
  });
  beforeEach(() => env!.sink.reset());
  return () => env!;
}
