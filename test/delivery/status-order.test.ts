import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UnifiedEvent } from "../../src/core";
import { createDelivery, MemoryStore, RedisStore, type DeliveryStep, type IdempotencyStore } from "../../src/delivery";
import { adapters } from "../../src/adapters";
import { createNormalizer } from "../../src/core";
import { loadConfig, statusOrderOf } from "../../src/cli/server-config";
import { createMetrics } from "../../src/observe/metrics";
import { deleteKeys, describeRedis, REDIS_URL, uniquePrefix } from "../support/redis";
import { captureLogger, recordingSink } from "./support";

type Status = "sent" | "delivered" | "read";

/**
 * The status-emitting platforms, declared: which golden envelope is each status of one message. A platform whose
 * adapter lands later is one more row (as Twilio's was). `shared`: the `sent` concerns the same message key as the others
 * (WhatsApp statuses, Instagram echo + seen); Messenger's delivery and read are conversation watermarks, which its
 * echo (`sent`, keyed per message) never meets. LINE emits no message statuses (its `ptm.notification.delivered` is
 * not a messaging status), so it has no row.
 */
const PLATFORMS: readonly {
  platform: string;
  fixtures: Partial<Record<Status, string>>;
  shared: boolean;
}[] = [
  {
    platform: "whatsapp",
    fixtures: { sent: "whatsapp/status-sent", delivered: "whatsapp/status-delivered", read: "whatsapp/status-read" },
    shared: true,
  },
  {
    platform: "messenger",
    fixtures: {
      sent: "messenger/echo-text",
      delivered: "messenger/delivery-watermark-only",
      read: "messenger/read-watermark",
    },
    shared: false,
  },
  { platform: "instagram", fixtures: { sent: "instagram/echo-text", read: "instagram/messaging-seen" }, shared: true },
  { platform: "viber", fixtures: { delivered: "viber/delivered", read: "viber/seen" }, shared: true },
  {
    platform: "twilio",
    fixtures: { sent: "twilio/status-sent", delivered: "twilio/status-delivered", read: "twilio/status-read-whatsapp" },
    shared: true,
  },
];

function golden(name: string): UnifiedEvent {
  const file = join(__dirname, "..", "..", "fixtures", `${name}.golden.json`);
  return (JSON.parse(readFileSync(file, "utf8")) as { events: UnifiedEvent[] }).events[0]!;
}

/**
 * The statuses of one message. With `shared`, every status names the message and contact of the furthest one, as
 * statuses of one real message would: Instagram's echo names the message its seen refers to, and Twilio's fixtures
 * are an SMS's sent and delivered and a WhatsApp message's read.
 */
function statusesOf(row: (typeof PLATFORMS)[number]): Map<Status, UnifiedEvent> {
  const events = new Map<Status, UnifiedEvent>();
  for (const [status, name] of Object.entries(row.fixtures) as [Status, string][]) events.set(status, golden(name));
  const anchor = events.get("read") ?? events.get("delivered");
  if (!row.shared || anchor === undefined) return events;
  const { message_ids, contact_id } = anchor.data as { message_ids: string[]; contact_id: string };
  for (const [status, event] of events) {
    if (event === anchor) continue;
    const data = event.data as { message?: { id: string }; message_ids?: string[] };
    const aligned =
      data.message !== undefined
        ? { ...data, contact_id, message: { ...data.message, id: message_ids[0]! } }
        : { ...data, contact_id, message_ids };
    events.set(status, { ...event, data: aligned } as UnifiedEvent);
  }
  return events;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

/** The rule, written out independently of the store's script: what a sink must see for one arrival order. */
function expected(order: readonly Status[], shared: boolean, skipped: "deliver" | "drop"): Status[] {
  const seen = new Set<Status>();
  const passed: Status[] = [];
  for (const status of order) {
    const pass =
      status === "read" ||
      (status === "delivered" && (!seen.has("read") || skipped === "deliver")) ||
      (status === "sent" && (!shared || (!seen.has("delivered") && !seen.has("read"))));
    if (pass) passed.push(status);
    seen.add(status);
  }
  return passed;
}

interface Instance {
  readonly delivery: DeliveryStep;
  readonly types: string[];
}

function instance(store: IdempotencyStore, skipped: "deliver" | "drop", types: string[] = []): Instance {
  const sink = recordingSink();
  const delivery = createDelivery({
    store,
    statusOrder: { skipped },
    sinks: [
      {
        ...sink,
        write: async (batch, signal) => {
          await sink.write(batch, signal);
          types.push(...batch.events.map((event) => event.type.replace("messaging.message.", "")));
        },
      },
    ],
  });
  return { delivery, types };
}

async function send(target: Instance, event: UnifiedEvent) {
  return target.delivery.run({ events: [event], unhandled: [] }, { platform: event.platform, block_ids: [] });
}

async function watermarks(store: IdempotencyStore): Promise<void> {
  const one = instance(store, "drop");
  const read = golden("messenger/read-watermark");
  const delivered = golden("messenger/delivery-watermark-only");
  const at = (event: UnifiedEvent, watermark: string, id: string) =>
    ({ ...event, id, data: { ...event.data, watermark } }) as UnifiedEvent;
  await send(one, at(read, "2026-11-21T09:15:35.500Z", "evt_R1"));
  await send(one, at(read, "2026-11-21T09:15:30.000Z", "evt_R0"));
  await send(one, at(delivered, "2026-11-21T09:15:34.000Z", "evt_D0"));
  await send(one, at(delivered, "2026-11-21T09:15:40.000Z", "evt_D2"));
  await send(one, at(read, "2026-11-21T09:15:41.000Z", "evt_R2"));
  expect(one.types).toEqual(["read", "delivered", "read"]);
}

async function failedIsTerminal(store: IdempotencyStore): Promise<void> {
  const one = instance(store, "deliver");
  const statuses = statusesOf(PLATFORMS[0]!);
  const failed = golden("whatsapp/status-failed");
  const sameMessage = {
    ...failed,
    data: { ...failed.data, message_ids: (statuses.get("read")!.data as { message_ids: string[] }).message_ids },
  } as UnifiedEvent;
  await send(one, statuses.get("sent")!);
  await send(one, sameMessage);
  for (const status of ["delivered", "read"] as const) await send(one, statuses.get(status)!);
  expect(one.types).toEqual(["sent", "failed"]);
}

describe("statusOrder with the memory store: the six orders per platform", () => {
  for (const row of PLATFORMS) {
    const statuses = statusesOf(row);
    for (const skipped of ["deliver", "drop"] as const) {
      for (const order of permutations([...statuses.keys()])) {
        it(`${row.platform} ${order.join(" → ")} (late delivered: ${skipped})`, async () => {
          const one = instance(new MemoryStore(), skipped);
          let superseded = 0;
          for (const status of order) {
            const outcome = await send(one, statuses.get(status)!);
            expect(outcome.status).toBe(200);
            superseded += outcome.superseded ?? 0;
          }
          const want = expected(order, row.shared, skipped);
          expect(one.types).toEqual(want);
          expect(superseded).toBe(order.length - want.length);
        });
      }
    }
  }

  it("acknowledges a superseded status as done: its redelivery is a duplicate, counted and logged at debug", async () => {
    const logger = captureLogger();
    const types: string[] = [];
    const metrics = createMetrics({ processMetrics: false });
    const delivery = createDelivery({
      store: new MemoryStore(),
      statusOrder: true,
      logger,
      observer: metrics.observer,
      sinks: [
        {
          name: "s",
          write: async (batch) => void types.push(...batch.events.map((e) => e.type)),
          close: async () => {},
        },
      ],
    });
    const statuses = statusesOf(PLATFORMS[0]!);
    const run = (status: Status) =>
      delivery.run({ events: [statuses.get(status)!], unhandled: [] }, { platform: "whatsapp", block_ids: [] });
    await run("read");
    expect(await run("sent")).toMatchObject({ status: 200, superseded: 1, handled: 0 });
    expect(await run("sent")).toMatchObject({ status: 200, superseded: 0, duplicates: 1 });
    expect(types).toEqual(["messaging.message.read"]);
    expect(delivery.stats()).toMatchObject({ superseded: 1, duplicates: 1 });
    expect(logger.lines.find((line) => line.message.startsWith("statuses superseded"))).toMatchObject({
      level: "debug",
    });
    expect(await metrics.text()).toContain(
      'convotic_superseded_total{platform="whatsapp",type="messaging.message.sent"} 1',
    );
  });

  it("orders watermarks: an older read watermark after a newer one is superseded, a newer delivered is not", () =>
    watermarks(new MemoryStore()));

  it("keeps `failed` terminal: a late sent, delivered or read after it is superseded", () =>
    failedIsTerminal(new MemoryStore()));

  it("lets a redelivery of a status whose first run failed through again, unless a further one passed meanwhile", async () => {
    let fail = true;
    const types: string[] = [];
    const delivery = createDelivery({
      store: new MemoryStore(),
      statusOrder: true,
      sinks: [
        {
          name: "flaky",
          write: async (batch) => {
            if (fail) throw new Error("down");
            types.push(...batch.events.map((e) => e.type));
          },
          close: async () => {},
        },
      ],
    });
    const statuses = statusesOf(PLATFORMS[0]!);
    const run = (status: Status) =>
      delivery.run({ events: [statuses.get(status)!], unhandled: [] }, { platform: "whatsapp", block_ids: [] });
    expect((await run("delivered")).status).toBe(500);
    fail = false;
    expect(await run("delivered")).toMatchObject({ status: 200, handled: 1 });
    fail = true;
    expect((await run("sent")).superseded).toBe(1);
    expect((await run("read")).status).toBe(500);
    fail = false;
    expect(await run("read")).toMatchObject({ status: 200, handled: 1 });
    expect(types).toEqual(["messaging.message.delivered", "messaging.message.read"]);
  });

  it("reads serve's status_order: true or its options, and refuses an unknown skipped mode", () => {
    const block = { id: "tg", platform: "telegram", workspace_id: "ws_a", secrets: { secret_token: "t" } };
    const load = (status_order: unknown) =>
      loadConfig({ blocks: [block], status_order }, { normalizer: createNormalizer({ adapters }), env: {} });
    expect(statusOrderOf(load(true).status_order!)).toBe(true);
    const options = statusOrderOf(
      load({ skipped: "drop", ranks: { twilio: { "messaging.message.read": 5 } } }).status_order!,
    );
    expect(options).toEqual({ skipped: "drop", ranks: { twilio: { "messaging.message.read": 5 } } });
    expect(() => load({ skipped: "never" })).toThrow(/status_order/);
    expect(load(undefined).status_order).toBeUndefined();
  });

  it("refuses to start without a store that keeps statuses", () => {
    expect(() => createDelivery({ store: false, statusOrder: true })).toThrow(/idempotency is off/);
  });
});

describeRedis("statusOrder across two instances sharing Redis", () => {
  const prefix = uniquePrefix("status");
  const stores: RedisStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await deleteKeys(prefix);
  });
  function redis(run: string): RedisStore {
    const store = new RedisStore({ url: REDIS_URL, keyPrefix: `${prefix}${run}:` });
    stores.push(store);
    return store;
  }

  for (const row of PLATFORMS) {
    const statuses = statusesOf(row);
    for (const order of permutations([...statuses.keys()])) {
      it(`${row.platform} ${order.join(" → ")}, alternating instances`, async () => {
        const types: string[] = [];
        const run = `${row.platform}-${order.join("-")}`;
        const pair = [instance(redis(run), "deliver", types), instance(redis(run), "deliver", types)];
        for (const [index, status] of order.entries()) await send(pair[index % 2]!, statuses.get(status)!);
        expect(types).toEqual(expected(order, row.shared, "deliver"));
      });
    }
  }

  it("orders watermarks in Redis as in memory", () => watermarks(redis("watermarks")));

  it("keeps `failed` terminal in Redis as in memory", () => failedIsTerminal(redis("failed")));

  it("decides simultaneous statuses of one message once: of two reads with different ids only one passes", async () => {
    const types: string[] = [];
    const [a, b] = [instance(redis("race"), "drop", types), instance(redis("race"), "drop", types)];
    const base = statusesOf(PLATFORMS[0]!);
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, n) => {
        const of = (status: Status, id: string) => {
          const event = base.get(status)!;
          const data = event.data as Record<string, unknown>;
          const message = `msg_RACE${String(n).padStart(3, "0")}`;
          const patched =
            status === "sent"
              ? { ...data, message: { ...(data["message"] as object), id: message } }
              : { ...data, message_ids: [message] };
          return { ...event, id, data: patched } as UnifiedEvent;
        };
        // both instances at once: a read each (a duplicate under another id), and a sent and a delivered between
        return Promise.all([
          send(a, of("read", `evt_RA${n}`)),
          send(b, of("read", `evt_RB${n}`)),
          send(b, of("sent", `evt_S${n}`)),
          send(a, of("delivered", `evt_D${n}`)),
        ]);
      }),
    );
    const reads = types.filter((type) => type === "read").length;
    expect(reads).toBe(60);
    const total = outcomes.flat().reduce((sum, outcome) => sum + (outcome.superseded ?? 0), 0);
    expect(total).toBe(240 - types.length);
    for (const outcome of outcomes.flat()) expect(outcome.status).toBe(200);
  });
});
