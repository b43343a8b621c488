import { contactId } from "../src/core";
import { adapterTest, ofType } from "./support/adapter";

/*
 * Messenger's direction (inbound, echo, page-sent) and who the contact is when the sender is missing
 * (split from messenger.test.ts, which keeps signing, handshake and mapping).
 */
const { context, run } = adapterTest("messenger");
const PAGE = "112233445566778";
const PSID = "6543219876543210";

const page = (...items: unknown[]) => ({
  object: "page",
  entry: [{ id: PAGE, time: 1795252530900, messaging: items }],
});

describe("messenger direction and identity", () => {
  it("makes only echoes outbound: a postback, quick reply, reaction or read whose sender is the Page stays the person's", () => {
    const fromPage = { sender: { id: PAGE }, recipient: { id: PAGE }, timestamp: 1795252530000 };
    const result = run(
      page(
        { ...fromPage, postback: { mid: "m_pb", title: "Buy", payload: "BUY" } },
        { ...fromPage, message: { mid: "m_qr", text: "Yes", quick_reply: { payload: "YES" } } },
        { ...fromPage, reaction: { mid: "m_qr", action: "react", emoji: "\u2764\ufe0f" } },
        { ...fromPage, read: { watermark: 1795252530000 } },
      ),
    );
    expect(result.events.map((event) => event.type)).toEqual([
      "messaging.postback",
      "messaging.message.received",
      "messaging.postback",
      "messaging.reaction.added",
      "messaging.message.read",
    ]);
  });

  it("treats a dashboard test of message_echoes as an echo even without is_echo", () => {
    const value = {
      sender: { id: PAGE },
      recipient: { id: PSID },
      timestamp: 1795252530000,
      message: { mid: "m_echo_test", text: "hi" },
    };
    const result = run({
      object: "page",
      entry: [{ id: PAGE, time: 1795252530, changes: [{ field: "message_echoes", value }] }],
    });
    expect(result.events.map((event) => [event.type, event.metadata.platform_user_id])).toEqual([
      ["messaging.message.sent", PSID],
    ]);
  });

  it("keys a checkbox-plugin opt-in without sender on its user_ref", () => {
    const [follow] = ofType(run("optin-checkbox-no-sender"), "messaging.follow");
    expect(follow?.metadata).toMatchObject({
      platform_user_id: "cbx_r8Tq3LmV5Zp1",
      raw_platform_event_id: expect.stringMatching(/^optin:cbx_r8Tq3LmV5Zp1:/),
    });
    expect(follow?.data.contact_id).toBe(contactId(context.block_id, "cbx_r8Tq3LmV5Zp1"));
  });

  it("opens a conversation when a message request is accepted, and reports another answer", () => {
    expect(ofType(run("optin-message-request-accept"), "messaging.conversation.created")[0]?.data.source).toBe(
      "message_request",
    );
    const declined = run(
      page({
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: 1795252530000,
        optin: { message_request: "decline" },
      }),
    );
    expect({ events: declined.events.length, kinds: declined.unhandled.map((item) => item.kind) }).toEqual({
      events: 0,
      kinds: ["optin.message_request"],
    });
  });

  it("reports every item of an entry list Meta does not document", () => {
    const result = run("entry-unknown-list");
    expect(result.events).toHaveLength(1);
    expect(result.unhandled).toMatchObject([{ kind: "entry.message", raw_platform_event_id: "m_in_unknown_list" }]);
  });
});
