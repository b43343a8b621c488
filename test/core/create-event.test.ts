import { contactId, conversationId, createEvent, EventValidationError, type EventData } from "../../src/core";

const block = { workspace_id: "ws_1", block_id: "blk_1", platform: "telegram" } as const;

describe("createEvent", () => {
  it("gives the same id for the same key and type, another for another key", () => {
    const data = { conversation_id: conversationId("blk_1", 9), draft_text: "Thanks, we are on it." };
    const a = createEvent("automation.draft.created", { ...block, key: "d1", timestamp: 0 + 1751368800, data });
    const b = createEvent("automation.draft.created", { ...block, key: "d1", timestamp: 1751368800, data });
    const c = createEvent("automation.draft.created", { ...block, key: "d2", timestamp: 1751368800, data });
    expect(a).toEqual(b);
    expect(c.id).not.toBe(a.id);
  });

  it("rejects undocumented data fields, wrong ids and empty keys with a typed 400 error", () => {
    const data = { contact_id: contactId("blk_1", 1), conversation_id: conversationId("blk_1", 1) };
    const extra = { ...data, surprise: true } as unknown as EventData<"messaging.follow">;
    expect(() => createEvent("messaging.follow", { ...block, key: "k", data: extra })).toThrow(EventValidationError);
    expect(() => createEvent("messaging.follow", { ...block, key: "k", data: extra })).toThrow("surprise");
    const wrongId = { ...data, contact_id: "person_123" };
    expect(() => createEvent("messaging.follow", { ...block, key: "k", data: wrongId })).toThrow("contact_id");
    expect(() => createEvent("messaging.follow", { ...block, key: "", data })).toThrow("key");
    try {
      createEvent("messaging.follow", { ...block, key: "k", timestamp: "yesterday", data });
      throw new Error("expected a failure");
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      expect((error as EventValidationError).status).toBe(400);
    }
  });
});
