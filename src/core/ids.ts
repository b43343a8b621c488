import { sha256Latin1 } from "./crypto";

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
 * The first 100 bits of a digest (a `latin1` string: one character per byte) as 20 base32 characters, read most
 * significant bit first: 5 groups of 20 bits (2½ bytes each), so the arithmetic stays within 32-bit integers.
 */
function encodeId(digest: string): string {
  let out = "";
  for (let group = 0; group < ID_LENGTH / 4; group++) {
    const bit = group * 20;
    const byte = bit >>> 3;
    const value =
      bit % 8 === 0
        ? (digest.charCodeAt(byte) << 12) | (digest.charCodeAt(byte + 1) << 4) | (digest.charCodeAt(byte + 2) >>> 4)
        : ((digest.charCodeAt(byte) & 15) << 16) | (digest.charCodeAt(byte + 1) << 8) | digest.charCodeAt(byte + 2);
    out += base32Of20Bits(value);
  }
  return out;
}

/**
 * 20 Crockford base32 characters (100 bits) of the SHA-256 of the parts. The parts are JSON-encoded as an array,
 * so `("a", "b:c")` and `("a:b", "c")` never collide, and the result is the same on every machine and run.
 */
export function hashId(parts: readonly (string | number)[]): string {
  return encodeId(sha256Latin1(JSON.stringify(parts)));
}

function idOfJson(kind: IdKind, json: string): string {
  return ID_PREFIXES[kind] + encodeId(sha256Latin1(json));
}

/** A character `JSON.stringify` escapes in a string: `"`, `\\`, a control character, or a surrogate (lone ones are escaped). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * `JSON.stringify(value)` of a string, by concatenation when it has nothing to escape (every id part in real
 * traffic); a string with a quote, a backslash, a control character or any surrogate (a valid pair is written as
 * it is, a lone one escaped) takes `JSON.stringify` itself. The bytes are the same either way, so ids are too.
 */
function jsonString(value: string): string {
  return ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** `JSON.stringify([a, b])` for two strings. */
function jsonPair(a: string, b: string): string {
  return `[${jsonString(a)},${jsonString(b)}]`;
}

/**
 * Contact and conversation ids repeat across events (every message of a chat carries the same two), so their
 * hashes are remembered in two generations of bounded maps: when the current one is full it becomes the
 * previous one and the oldest generation is dropped whole (an id used since is carried over on its next use).
 * A generation maps a block to a map of the platform ids seen in it, so a lookup builds no key string.
 * Every operation is O(1), memory stays under two generations, and only normalised (so verified) payloads reach it.
 */
const GENERATION_SIZE = 2048;

class RepeatedIds {
  private current = new Map<string, Map<string, string>>();
  private previous = new Map<string, Map<string, string>>();
  private size = 0;

  constructor(private readonly kind: IdKind) {}

  get(blockId: string, platformId: string): string {
    let inBlock = this.current.get(blockId);
    let id = inBlock?.get(platformId);
    if (id !== undefined) return id;
    id = this.previous.get(blockId)?.get(platformId) ?? idOfJson(this.kind, jsonPair(blockId, platformId));
    if (this.size >= GENERATION_SIZE) {
      this.previous = this.current;
      this.current = new Map();
      this.size = 0;
      inBlock = undefined;
    }
    if (inBlock === undefined) {
      inBlock = new Map();
      this.current.set(blockId, inBlock);
    }
    inBlock.set(platformId, id);
    this.size++;
    return id;
  }
}

const contactIds = new RepeatedIds("contact");
const conversationIds = new RepeatedIds("conversation");

export function prefixedId(kind: IdKind, parts: readonly (string | number)[]): string {
  return idOfJson(kind, JSON.stringify(parts));
}

/** `evt_…` of (platform, block, dedupe key of the raw event, type): the same raw event always gets the same id. */
export function eventId(platform: string, blockId: string, dedupeKey: string, type: string): string {
  return idOfJson("event", `[${jsonString(platform)},${jsonString(blockId)},${jsonString(dedupeKey)},${jsonString(type)}]`);
}

/** `ct_…` of (block, platform user id). */
export function contactId(blockId: string, platformUserId: string | number): string {
  return contactIds.get(blockId, String(platformUserId));
}

/** `conv_…` of (block, platform thread id). */
export function conversationId(blockId: string, platformThreadId: string | number): string {
  return conversationIds.get(blockId, String(platformThreadId));
}

/** `msg_…` of (block, platform message id); a reaction and the message it targets derive the same id. */
export function messageId(blockId: string, platformMessageId: string | number): string {
  return idOfJson("message", jsonPair(blockId, String(platformMessageId)));
}
