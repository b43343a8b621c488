import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliveryId } from "../../src/formats/delivery-id";
import { newSecret } from "../sinks/receiver";
import { deadLetterIds, startServe, startSubscriber, waitFor, writeConfig, type Answer } from "./support";

/*
 * `serve` SIGKILLed at each point of a webhook event's way that matters (issue 22), then started again on the same
 * data directory while the client redelivers what was not answered 200: the subscriber gets the event, every time
 * under the same `webhook-id`. `CONVOTIC_TEST_KILL_AT` (src/delivery/outbox/kill-point.ts, inert without it) makes
 * serve kill itself at a precise point; mid-delivery, the test kills it while the subscriber holds the request.
 */
jest.setTimeout(30_000);
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-kill-point-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function scenario(options: { killAt?: string; answer: (n: number) => Answer; killWhenReceived?: boolean }) {
  const secret = newSecret();
  const subscriber = await startSubscriber(secret, options.answer);
  const config = writeConfig(dir, { url: subscriber.url, backoff_base_ms: 50, backoff_max_ms: 200 });
  try {
    const first = await startServe(
      config,
      secret,
      options.killAt === undefined ? {} : { CONVOTIC_TEST_KILL_AT: options.killAt },
    );
    const firstAnswer = first.send(1);
    if (options.killWhenReceived === true) {
      await waitFor(() => subscriber.receptions.length === 1, 10_000, "the subscriber to get the request");
      await first.kill();
    }
    const answered = await firstAnswer;
    const died = await Promise.race([
      first.exited,
      new Promise((resolve) => setTimeout(() => resolve(undefined), 5000)),
    ]);
    if (died === undefined) await first.kill();
    const second = await startServe(config, secret);
    try {
      // the client redelivers until it gets a 200 (a platform does the same)
      let status = answered;
      const sends: number[] = [answered];
      while (status !== 200) {
        status = await second.send(1);
        sends.push(status);
      }
      await waitFor(
        () => subscriber.receptions.some((reception) => reception.status === 200),
        10_000,
        "a delivery answered 200",
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong extra delivery to show up
      return {
        first: answered,
        died,
        sends,
        receptions: subscriber.receptions,
        dead: deadLetterIds(join(dir, "dead.jsonl")),
        log: first.log() + second.log(),
      };
    } finally {
      await second.kill();
    }
  } finally {
    await subscriber.close();
  }
}

function sameIdThroughout(receptions: readonly { id: string; eventId: string; verified: boolean }[]): void {
  expect(receptions.length).toBeGreaterThan(0);
  for (const reception of receptions) {
    expect(reception.verified).toBe(true);
    expect(reception.id).toBe(deliveryId(reception.eventId, "crm"));
  }
  expect(new Set(receptions.map((reception) => reception.id)).size).toBe(1);
}

describe("serve with a durable outbox, SIGKILLed at one point", () => {
  it("before the outbox write: no 200 was given; the redelivery is accepted and delivered once", async () => {
    const result = await scenario({ killAt: "before-outbox-write", answer: () => ({ status: 200 }) });
    expect(result.first).toBe(0);
    expect(result.died).toMatchObject({ signal: "SIGKILL" });
    sameIdThroughout(result.receptions);
    expect(result.receptions).toHaveLength(1);
  });

  it("after the outbox write, before the 200: the outbox delivers it after the restart, and the redelivery is not queued twice", async () => {
    const result = await scenario({ killAt: "after-outbox-write", answer: () => ({ status: 200 }) });
    expect(result.first).toBe(0);
    expect(result.died).toMatchObject({ signal: "SIGKILL" });
    sameIdThroughout(result.receptions);
    expect(result.receptions).toHaveLength(1);
  });

  it("mid-delivery (the subscriber has the request, serve dies before the answer): delivered again, same webhook-id", async () => {
    const result = await scenario({ killWhenReceived: true, answer: (n) => (n === 0 ? "hold" : { status: 200 }) });
    expect(result.first).toBe(200);
    sameIdThroughout(result.receptions);
    expect(result.receptions).toHaveLength(2);
    expect(result.receptions[1]!.status).toBe(200);
  });

  it("after the delivery, before it is marked done: delivered again after the restart, same webhook-id", async () => {
    const result = await scenario({ killAt: "after-delivery", answer: () => ({ status: 200 }) });
    expect(result.first).toBe(200);
    expect(result.died).toMatchObject({ signal: "SIGKILL" });
    sameIdThroughout(result.receptions);
    expect(result.receptions.map((reception) => reception.status)).toEqual([200, 200]);
    expect(result.dead).toEqual([]);
  });
});
