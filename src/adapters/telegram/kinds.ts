/**
 * The names of the handlers that map an update kind (`UPDATE_KINDS` in schema.ts pairs each kind with one; the
 * `HANDLERS` of normalize.ts implement exactly these, checked with `satisfies`). A type-only module, so the schema
 * names a handler without importing the mapping that imports the schema.
 */
export type UpdateHandler =
  | "message"
  | "business_message"
  | "edited_message"
  | "edited_business_message"
  | "deleted_business_messages"
  | "message_reaction"
  | "callback_query"
  | "my_chat_member"
  | "chat_member";
