/*
 * Type tests: compiled (never run) by test/types.test.ts. Each `@ts-expect-error` must be an error, and every
 * other line must compile, so a change that loosens or breaks narrowing fails the suite.
 */
import { createRouter, createEvent, type EventOf, type MatchingTypes, type UnifiedEvent } from "../../src/core";
import { adapters } from "../../src/adapters";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T => true as T;

const router = createRouter();

// an exact type narrows the handler's event, data included
router.on("messaging.message.received", (event) => {
  assertType<Equal<typeof event, EventOf<"messaging.message.received">>>();
  const text: string | undefined = event.data.message.text;
  void text;
  // @ts-expect-error reaction data is not on a message event
  void event.data.reaction;
});

// an array narrows to the union of its members, still discriminated by `type`
router.on(["messaging.reaction.added", "messaging.reaction.removed"], (event) => {
  assertType<Equal<typeof event.type, "messaging.reaction.added" | "messaging.reaction.removed">>();
  const target: string = event.data.reaction.message_id;
  void target;
});

// a domain wildcard narrows to that domain's types only
router.on("commerce.*", (event) => {
  assertType<
    Equal<
      typeof event.type,
      | "commerce.order.created"
      | "commerce.order.updated"
      | "commerce.order.fulfilled"
      | "commerce.order.cancelled"
      | "commerce.cart.abandoned"
    >
  >();
  if (event.type === "commerce.order.created") {
    const items: unknown[] = event.data.order.items;
    void items;
  }
});

// a middle wildcard matches across domains
assertType<
  Equal<
    MatchingTypes<"*.message.*">,
    | "messaging.message.received"
    | "messaging.message.sent"
    | "messaging.message.delivered"
    | "messaging.message.read"
    | "messaging.message.failed"
    | "messaging.message.updated"
    | "messaging.message.deleted"
  >
>();

// `*` is every event
router.on("*", (event) => {
  assertType<Equal<typeof event, UnifiedEvent>>();
});

// @ts-expect-error an unknown exact type is rejected
router.on("messaging.message.recieved", () => undefined);

// @ts-expect-error a pattern that matches nothing is rejected
router.on("billing.*", () => undefined);

// @ts-expect-error an unknown member of an array is rejected
router.on(["messaging.follow", "messaging.folow"], () => undefined);

router.on("messaging.follow", (event) => {
  // @ts-expect-error the handler is not given an unfollow
  const unfollow: EventOf<"messaging.unfollow"> = event;
  void unfollow;
});

// createEvent checks data against the type
createEvent("automation.draft.created", {
  workspace_id: "ws",
  block_id: "blk",
  platform: "telegram",
  key: "draft-1",
  data: { conversation_id: "conv_00000000000000000000", draft_text: "Thanks!" },
});
createEvent("automation.draft.created", {
  workspace_id: "ws",
  block_id: "blk",
  platform: "telegram",
  key: "draft-1",
  // @ts-expect-error draft_text is required
  data: { conversation_id: "conv_00000000000000000000" },
});

// the registry names every built-in platform
assertType<
  Equal<
    keyof typeof adapters,
    "instagram" | "line" | "messenger" | "telegram" | "twilio" | "viber" | "wechat" | "whatsapp"
  >
>();
