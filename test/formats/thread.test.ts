import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deliveryId } from "../../src/formats/delivery-id";
import {
  THREAD_EVENT_NAMES,
  THREAD_EVENTS,
  threadSchemas,
  toThreadEvent,
  ThreadEventSchema,
} from "../../src/formats/thread";
import { goldenText } from "../support/fixtures";
import { applicationDraft, goldenEnvelopes, GOLDEN_DIR } from "./support";

/*
 * One golden per thread-style type, projected from a real fixture envelope (the first fixture, in platform and name
 * order, that carries the type; the application-only draft from `createEvent`). UPDATE_GOLDEN=1 rewrites them.
 */
const update = process.env["UPDATE_GOLDEN"] === "1";
const envelopes = [
  ...goldenEnvelopes(),
  { source: "createEvent (test/formats/support.ts)", event: applicationDraft() },
];
const SUBSCRIBER = "crm-sync";
/** a plain text message reads better as the example than the first fixture's audio attachment */
const PREFERRED: Partial<Record<string, string>> = {
  "message.received": "fixtures/telegram/message-text-private.json#0",
};

describe("thread-style projection", () => {
  it.each(THREAD_EVENT_NAMES)("%s matches its golden file", (name) => {
    const path = join(GOLDEN_DIR, "thread", `${name}.json`);
    // the reviewed golden names its source envelope, so adding fixtures never changes which one is projected
    const pinned =
      !update && existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { source: string }).source : undefined;
    const preferred = pinned ?? PREFERRED[name];
    const found = envelopes.find(
      ({ source, event }) => event.type === THREAD_EVENTS[name] && (preferred === undefined || source === preferred),
    );
    if (found === undefined) throw new Error(`no envelope of type ${THREAD_EVENTS[name]}`);
    const projected = toThreadEvent(found.event, SUBSCRIBER);
    expect(threadSchemas[name].parse(projected)).toEqual(projected);
    const text = goldenText({ source: found.source, envelope: found.event, thread: projected });
    if (update) {
      mkdirSync(join(GOLDEN_DIR, "thread"), { recursive: true });
      writeFileSync(path, text);
    }
    if (!existsSync(path)) throw new Error(`no golden file ${path}; run with UPDATE_GOLDEN=1 and review it`);
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("projects every fixture envelope of the nine types and nothing else, each valid", () => {
    let projected = 0;
    for (const { source, event } of envelopes) {
      const result = toThreadEvent(event, SUBSCRIBER);
      const counterpart = (Object.values(THREAD_EVENTS) as string[]).includes(event.type);
      if (!counterpart) {
        expect(result).toBeUndefined();
        continue;
      }
      expect({ source, ok: result !== undefined }).toEqual({ source, ok: true });
      ThreadEventSchema.parse(result);
      projected += 1;
    }
    expect(projected).toBeGreaterThan(100);
  });

  it("forms thread_id from the platform and the platform thread id", () => {
    const received = envelopes.find(({ source }) => source === "fixtures/telegram/message-text-private.json#0")!.event;
    const result = toThreadEvent(received, SUBSCRIBER);
    expect(result).toMatchObject({
      event: "message.received",
      data: { thread_id: "telegram:123456789", channel: "telegram" },
    });
  });

  it("keeps delivery_id stable per event and subscriber, different across subscribers and events", () => {
    const [first, second] = envelopes.filter(({ event }) => event.type === "messaging.message.received");
    const a = toThreadEvent(first!.event, "a")!;
    expect(toThreadEvent(first!.event, "a")!.delivery_id).toBe(a.delivery_id);
    expect(a.delivery_id).toBe(deliveryId(first!.event.id, "a"));
    expect(toThreadEvent(first!.event, "b")!.delivery_id).not.toBe(a.delivery_id);
    expect(toThreadEvent(second!.event, "a")!.delivery_id).not.toBe(a.delivery_id);
    expect(a.delivery_id).toMatch(/^dlv_[0-9A-HJKMNP-TV-Z]{20}$/);
  });

  it("has no counterpart for a conversation event without a platform thread", () => {
    const { platform_thread_id: _dropped, ...metadata } = applicationDraft().metadata;
    expect(toThreadEvent({ ...applicationDraft(), metadata } as never, SUBSCRIBER)).toBeUndefined();
  });
});

describe("docs/formats.md", () => {
  it("shows each thread-style golden as its example", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "formats.md"), "utf8");
    for (const name of THREAD_EVENT_NAMES) {
      const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, "thread", `${name}.json`), "utf8")) as {
        thread: unknown;
      };
      expect({ name, shown: doc.includes("```json\n" + JSON.stringify(golden.thread, null, 2) + "\n```") }).toEqual({
        name,
        shown: true,
      });
    }
  });
});
