import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deliveryId } from "../../src/formats/delivery-id";
import { newSecret } from "../sinks/receiver";
import { deadLetterIds, startServe, startSubscriber, waitFor, writeConfig, type Served } from "./support";

/*
 * Issue 22's operator test: `serve` forwarding to a slow (50-400 ms) subscriber that answers 500 one time in five,
 * SIGKILLed at 8 random moments and started again on the same data directory, while a client redelivers every
 * update not answered 200. Every update answered 200 must reach the subscriber (2xx) or the dead-letter file, and
 * each event must always come under the same `webhook-id`. Repeats (a 2xx delivery of an id delivered before) are
 * allowed, at-least-once, and counted.
 */
jest.setTimeout(60_000);
const EVENTS = 60;
const KILLS = 8;
const CLIENTS = 3;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "convotic-outbox-crash-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`loses no acknowledged event across ${KILLS} SIGKILLs of serve (slow, flaky subscriber; client redelivers)`, async () => {
  const secret = newSecret();
  const subscriber = await startSubscriber(secret, () => ({
    status: Math.random() < 0.2 ? 500 : 200,
    delayMs: 50 + Math.floor(Math.random() * 350),
  }));
  const config = writeConfig(dir, {
    url: subscriber.url,
    backoff_base_ms: 50,
    backoff_max_ms: 400,
    max_attempts: 10,
    timeout_ms: 2000,
  });
  let served: Served = await startServe(config, secret);
  const acknowledged = new Set<number>();
  let restarts = 0;
  let sent = 0;
  try {
    // clients: each takes the next update and posts it until it is answered 200 (connection errors while serve is down included)
    let next = 1;
    const client = async () => {
      for (let id = next++; id <= EVENTS; id = next++) {
        for (;;) {
          sent += 1;
          if ((await served.send(id)) === 200) break;
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        acknowledged.add(id);
        await new Promise((resolve) => setTimeout(resolve, 40 + Math.random() * 60));
      }
    };
    const clients = Promise.all(Array.from({ length: CLIENTS }, client));
    // the killer: SIGKILL at random moments (while posting, while delivering), start again on the same directory
    for (let kill = 0; kill < KILLS; kill += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250 + Math.random() * 700));
      await served.kill();
      served = await startServe(config, secret);
      restarts += 1;
    }
    await clients;
    expect(acknowledged.size).toBe(EVENTS);

    // the last serve delivers what the outbox still holds
    const expected = [...acknowledged].map((id) => id);
    const delivered = () =>
      new Set(
        subscriber.receptions
          .filter((reception) => reception.status >= 200 && reception.status < 300)
          .map((reception) => reception.eventId),
      );
    const eventIdsOf = () => new Map(subscriber.receptions.map((reception) => [reception.id, reception.eventId]));
    await waitFor(
      () => delivered().size + deadLetterIds(join(dir, "dead.jsonl")).length >= expected.length,
      30_000,
      "every acknowledged event delivered or dead-lettered",
    );

    // every acknowledged update, by its webhook-id: at the subscriber (2xx) or in the dead letters
    const dead = new Set(deadLetterIds(join(dir, "dead.jsonl")));
    const byWebhookId = eventIdsOf();
    const deliveredIds = new Set(
      subscriber.receptions
        .filter((reception) => reception.status >= 200 && reception.status < 300)
        .map((reception) => reception.id),
    );
    const missing = [...byWebhookId.keys()].filter((id) => !deliveredIds.has(id) && !dead.has(id));
    expect(missing).toEqual([]);
    expect(byWebhookId.size).toBe(EVENTS);
    // the same event always came under the same webhook-id, signed
    for (const reception of subscriber.receptions) {
      expect(reception.verified).toBe(true);
      expect(reception.id).toBe(deliveryId(reception.eventId, "crm"));
    }
    const twoHundreds = subscriber.receptions.filter(
      (reception) => reception.status >= 200 && reception.status < 300,
    ).length;
    const repeats = twoHundreds - deliveredIds.size;
    process.stderr.write(
      `outbox crash test: ${EVENTS} events acknowledged over ${restarts} SIGKILL+restart cycles (${sent} client posts); ` +
        `${deliveredIds.size} delivered, ${dead.size} dead-lettered, 0 lost; ${subscriber.receptions.length} requests to the subscriber, ` +
        `${repeats} repeated 2xx deliveries (same webhook-id)\n`,
    );
    expect(restarts).toBe(KILLS);
  } finally {
    await served.kill();
    await subscriber.close();
  }
});
