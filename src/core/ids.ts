import { sha256 } from "./crypto";

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

/** Four base32 characters of a 20-bit number, most significant first. */
function base32Of20Bits(value: number): string {
  return CROCKFORD[value >>> 15]! + CROCKFORD[(value >>> 10) & 31]! + CROCKFORD[(value >>> 5) & 31]! + CROCKFORD[value & 31]!;
}

/**
 * The first 100 bits of a digest as 20 base32 characters, read most significant bit first: 5 groups of 20 bits
 * (2½ bytes each), so the arithmetic stays within 32-bit integers.
 */
function encodeId(digest: Uint8Array): string {
  let out = "";
  for (let group = 0; group < ID_LENGTH / 4; group++) {
    const bit = group * 20;
    const byte = bit >>> 3;
    const value =
      bit % 8 === 0
        ? (digest[byte]! << 12) | (digest[byte + 1]! << 4) | (digest[byte + 2]! >>> 4)
        : ((digest[byte]! & 15) << 16) | (digest[byte + 1]! << 8) | digest[byte + 2]!;
    out += base32Of20Bits(value);
  }
  return out;
}

/**
 * 20 Crockford base32 characters (100 bits) of the SHA-256 of the parts. The parts are JSON-encoded as an array,
 * so `("a", "b:c")` and `("a:b", "c")` never collide, and the result is the same on every machine and run.
 */
export function hashId(parts: readonly (string | number)[]): string {
  return encodeId(sha256(JSON.stringify(parts)));
}

function idOfJson(kind: IdKind, json: string): string {
  return ID_PREFIXES[kind] + encodeId(sha256(json));
}

/**
 * Contact and conversation ids repeat across events (every message of a chat carries the same two), so their
 * hashes are remembered in two generations of bounded maps: when the current one is full it becomes the
 * previous one and the oldest generation is dropped whole (an id used since is carried over on its next use).
 * Every operation is O(1), memory stays under two generations, and only normalised (so verified) payloads reach it.
 */
const GENERATION_SIZE = 2048;
let currentIds = new Map<string, string>();
let previousIds = new Map<string, string>();

function repeatedId(kind: IdKind, parts: readonly string[]): string {
  const json = JSON.stringify(parts);
  const key = ID_PREFIXES[kind] + json;
  let id = currentIds.get(key);
  if (id !== undefined) return id;
  id = previousIds.get(key) ?? idOfJson(kind, json);
  if (currentIds.size >= GENERATION_SIZE) {
    previousIds = currentIds;
    currentIds = new Map();
  }
  currentIds.set(key, id);
  return id;
}

export function prefixedId(kind: IdKind, parts: readonly (string | number)[]): string {
  return idOfJson(kind, JSON.stringify(parts));
}

/** `evt_…` of (platform, block, dedupe key of the raw event, type): the same raw event always gets the same id. */
export function eventId(platform: string, blockId: string, dedupeKey: string, type: string): string {
  return prefixedId("event", [platform, blockId, dedupeKey, type]);
}

/** `ct_…` of (block, platform user id). */
export function contactId(blockId: string, platformUserId: string | number): string {
  return repeatedId("contact", [blockId, String(platformUserId)]);
}

/** `conv_…` of (block, platform thread id). */
export function conversationId(blockId: string, platformThreadId: string | number): string {
  return repeatedId("conversation", [blockId, String(platformThreadId)]);
}

/** `msg_…` of (block, platform message id); a reaction and the message it targets derive the same id. */
export function messageId(blockId: string, platformMessageId: string | number): string {
  return prefixedId("message", [blockId, String(platformMessageId)]);
}
