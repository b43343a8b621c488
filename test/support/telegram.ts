/** A Telegram text update from a private chat, as the Bot API posts it; `extra` adds or replaces message fields. */
export function telegramText(id: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    update_id: id,
    message: {
      message_id: id,
      date: 1750100000,
      chat: { id: 1, type: "private" },
      from: { id: 1, is_bot: false, first_name: "A" },
      text: "hi",
      ...extra,
    },
  });
}
