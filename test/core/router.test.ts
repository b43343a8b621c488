import {
  ConfigError,
  createEvent,
  createRouter,
  DispatchError,
  type NormalizeResult,
  type UnhandledEvent,
  type UnifiedEvent,
} from "../../src/core";
import { contactId, conversationId } from "../../src/core";

const block = { workspace_id: "ws_1", block_id: "blk_1", platform: "telegram" } as const;
const ids = { contact_id: contactId("blk_1", 1), conversation_id: conversationId("blk_1", 1) };

const follow = createEvent("messaging.follow", {
  ...block,
  key: "f1",
  timestamp: 1751368800,
  data: ids,
}) as UnifiedEvent;
const unfollow = createEvent("messaging.unfollow", {
  ...block,
  key: "u1",
  timestamp: 1751368801,
  data: ids,
}) as UnifiedEvent;
const order = createEvent("commerce.order.created", {
  ...block,
  key: "o1",
  timestamp: 1751368802,
  data: { order: { items: [] } },
}) as UnifiedEvent;
const unhandled: UnhandledEvent = {
  platform: "telegram",
  workspace_id: "ws_1",
  block_id: "blk_1",
  kind: "poll",
  reason: "no mapping",
  received_at: "2026-11-22T12:00:00.000Z",
  raw: { id: "p" },
};

describe("Router", () => {
  it("routes exact types, arrays and wildcard patterns", async () => {
    const seen: string[] = [];
    const router = createRouter()
      .on("messaging.follow", (e) => void seen.push(`exact:${e.type}`))
      .on(["messaging.follow", "messaging.unfollow"], (e) => void seen.push(`array:${e.type}`))
      .on("messaging.*", (e) => void seen.push(`domain:${e.type}`))
      .on("*.order.*", (e) => void seen.push(`middle:${e.type}`))
      .on("*", (e) => void seen.push(`all:${e.type}`));
    await router.dispatch([follow, unfollow, order]);
    expect(seen).toEqual([
      "exact:messaging.follow",
      "array:messaging.follow",
      "domain:messaging.follow",
      "all:messaging.follow",
      "array:messaging.unfollow",
      "domain:messaging.unfollow",
      "all:messaging.unfollow",
      "middle:commerce.order.created",
      "all:commerce.order.created",
    ]);
  });

  it("dispatches a normalise result: events in order, then unhandled", async () => {
    const seen: string[] = [];
    const router = createRouter()
      .on("*", (e) => void seen.push(e.type))
      .onUnhandled((u) => void seen.push(`unhandled:${u.kind}`));
    const result: NormalizeResult = { events: [follow, order], unhandled: [unhandled] };
    await router.dispatch(result);
    expect(seen).toEqual(["messaging.follow", "commerce.order.created", "unhandled:poll"]);
  });

  it("runs the handlers of one event concurrently", async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const router = createRouter()
      .on("messaging.follow", async () => {
        order.push("slow:start");
        await gate;
        order.push("slow:end");
      })
      .on("messaging.follow", () => {
        order.push("fast");
        release();
      });
    await router.dispatch(follow);
    expect(order).toEqual(["slow:start", "fast", "slow:end"]);
  });

  it("isolates failures: every handler and event still runs, and all failures are reported together", async () => {
    const ran: string[] = [];
    const reported: unknown[] = [];
    const router = createRouter()
      .on("messaging.follow", () => {
        throw new Error("first");
      })
      .on("messaging.follow", async () => {
        ran.push("second handler");
        throw new Error("second");
      })
      .on("messaging.unfollow", () => void ran.push("next event"))
      .onError(
        (error, event) => void reported.push([(error as Error).message, "type" in event ? event.type : event.kind]),
      );
    const dispatch = router.dispatch([follow, unfollow]);
    await expect(dispatch).rejects.toBeInstanceOf(DispatchError);
    const error = (await dispatch.catch((e: unknown) => e)) as DispatchError;
    expect(error.errors.map((e) => (e as Error).message)).toEqual(["first", "second"]);
    expect(error.code).toBe("handler_failed");
    expect(ran).toEqual(["second handler", "next event"]);
    expect(reported).toEqual([
      ["first", "messaging.follow"],
      ["second", "messaging.follow"],
    ]);
  });

  it("reports a throwing onError handler as a failure instead of losing it", async () => {
    const router = createRouter()
      .on("messaging.follow", () => {
        throw new Error("handler");
      })
      .onError(() => {
        throw new Error("onError");
      });
    const error = (await router.dispatch(follow).catch((e: unknown) => e)) as DispatchError;
    expect(error.errors.map((e) => (e as Error).message)).toEqual(["handler", "onError"]);
  });

  it("rejects unknown types and patterns that match nothing at run time too", () => {
    const router = createRouter();
    const loose = router as unknown as { on(selector: string, handler: () => void): unknown };
    expect(() => loose.on("messaging.message.recieved", () => undefined)).toThrow(ConfigError);
    expect(() => loose.on("billing.*", () => undefined)).toThrow("matches no event type");
  });

  it("emit validates and dispatches an application event", async () => {
    const seen: UnifiedEvent[] = [];
    const router = createRouter().on("messaging.conversation.closed", (e) => void seen.push(e));
    const event = await router.emit("messaging.conversation.closed", {
      ...block,
      key: "conv-1:closed",
      timestamp: "2026-03-11T11:00:00Z",
      data: { ...ids, closed_by: "agent@example.com" },
    });
    expect(seen).toEqual([event]);
    expect(event.metadata.raw_platform_event_id).toBe("conv-1:closed");
    expect(event.timestamp).toBe("2026-03-11T11:00:00.000Z");
  });
});
