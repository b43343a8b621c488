import { randomUUID } from "node:crypto";
import type { UnifiedEvent } from "../../src/core";
import { JetStreamSink } from "../../src/delivery/sinks/jetstream";
import { PrivateServer } from "../support/private-servers";

/*
 * The JetStream sink's credentials options (issue 23: credentials never in a URL) against a private nats-server
 * that requires them: user and password on port 4239, a token on 4238 (ports of the private range). A right
 * credential publishes; a wrong one is refused, and the refusal never carries the secret.
 */
jest.setTimeout(30_000);

const PASSWORD = `pw-${randomUUID()}`;
const TOKEN = `tok-${randomUUID()}`;

function event(): UnifiedEvent {
  return {
    id: `evt_auth_${randomUUID()}`,
    type: "messaging.message.received",
    workspace_id: "ws_auth",
  } as unknown as UnifiedEvent;
}

async function outcome(sink: JetStreamSink): Promise<string> {
  try {
    await sink.write({ events: [event()], unhandled: [] }, AbortSignal.timeout(3000));
    return "published";
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  } finally {
    await sink.close(AbortSignal.timeout(2000));
  }
}

describe("JetStream sink credentials against a nats-server that requires them", () => {
  const withUser = new PrivateServer("nats", 4239, ["-js", "--user", "convotic", "--pass", PASSWORD]);
  const withToken = new PrivateServer("nats", 4238, ["-js", "--auth", TOKEN]);
  beforeAll(async () => {
    await withUser.start();
    await withToken.start();
  });
  afterAll(async () => {
    await withUser.stop();
    await withToken.stop();
  });

  const stream = () => ({ name: `AUTH_${randomUUID().replace(/-/g, "").slice(0, 12)}`, storage: "memory" as const });

  it("publishes with the right user and password, and is refused with a wrong one without echoing it", async () => {
    const right = new JetStreamSink({
      kind: "jetstream",
      servers: withUser.url,
      subject_prefix: "auth",
      stream: stream(),
      user: "convotic",
      password: PASSWORD,
    });
    expect(await outcome(right)).toBe("published");
    const wrong = new JetStreamSink({
      kind: "jetstream",
      servers: withUser.url,
      subject_prefix: "auth",
      stream: stream(),
      user: "convotic",
      password: "not-the-password",
    });
    const answer = await outcome(wrong);
    expect(answer).toMatch(/^refused/);
    expect(answer).not.toContain("not-the-password");
    expect(answer).not.toContain(PASSWORD);
  });

  it("publishes with the right token and is refused without one", async () => {
    const right = new JetStreamSink({
      kind: "jetstream",
      servers: withToken.url,
      subject_prefix: "auth",
      stream: stream(),
      token: TOKEN,
    });
    expect(await outcome(right)).toBe("published");
    const none = new JetStreamSink({
      kind: "jetstream",
      servers: withToken.url,
      subject_prefix: "auth",
      stream: stream(),
    });
    expect(await outcome(none)).toMatch(/^refused/);
  });
});
