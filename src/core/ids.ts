import { createHash } from "node:crypto";

/** Crockford's base32 alphabet: digits and capitals without I, L, O and U, so ids read back unambiguously. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ID_LENGTH = 20;

export const ID_BODY_PATTERN = `[0-9A-HJKMNP-TV-Z]{${ID_LENGTH}}`;

export const ID_PREFIXES = {
  event: "evt_",
  contact: "ct_",
  conversation: "conv_",
  message: "msg_",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * 20 Crockford base32 characters (100 bits) of the SHA-256 of the parts. The parts are JSON-encoded as an array,
 * so `("a", "b:c")` and `("a:b", "c")` never collide, and the result is the same on every machine and run.
 */
export function hashId(parts: readonly (string | number)[]): string {
  const digest = createHash("sha256").update(JSON.stringify(parts)).digest();
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of digest) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < ID_LENGTH) {
      bits -= 5;
      out += CROCKFORD[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
    if (out.length === ID_LENGTH) break;
  }
  return out;
}

export function prefixedId(kind: IdKind, parts: readonly (string | number)[]): string {
  return ID_PREFIXES[kind] + hashId(parts);
}

/** `evt_…` of (platform, block, dedupe key of the raw event, type): the same raw event always gets the same id. */
export function eventId(platform: string, blockId: string, dedupeKey: string, type: string): string {
  return prefixedId("event", [platform, blockId, dedupeKey, type]);
}

/** `ct_…` of (block, platform user id). */
export function contactId(blockId: string, platformUserId: string | number): string {
  return prefixedId("contact", [blockId, String(platformUserId)]);
}

/** `conv_…` of (block, platform thread id). */
export function conversationId(blockId: string, platformThreadId: string | number): string {
  return prefixedId("conversation", [blockId, String(platformThreadId)]);
}

/** `msg_…` of (block, platform message id); a reaction and the message it targets derive the same id. */
export function messageId(blockId: string, platformMessageId: string | number): string {
  return prefixedId("message", [blockId, String(platformMessageId)]);
}
