import { sha256Latin1 } from "./digest";
import { withExactTest } from "./exact-tests";

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
 * The pattern an id of `kind` matches (`^prefix` then `ID_BODY_PATTERN` then `$`), registered with a test that
 * answers the same (see `exact-tests.ts`) and first compares the string with the id of that kind this module
 * returned last: every envelope's data is checked against these patterns, and the ids in it are nearly always
 * the ones its mapper has just asked for. An id this module returns is a prefix and 20 base32 digits
 * (`encodeId`), so it matches; any other string goes to the pattern. A `RegExp#test` of a 23-character id costs
 * about 600 instructions, a loop over its characters in optimised code about as much, the comparison a few.
 */
export function idPattern(kind: IdKind): RegExp {
  const pattern = new RegExp(`^${ID_PREFIXES[kind]}${ID_BODY_PATTERN}$`);
  const issued = ISSUED_LAST[kind];
  return withExactTest(pattern, (value) => issued(value) || pattern.test(value));
}

/** Whether a string is the id of that kind returned last (an event id is never checked against its pattern). */
const ISSUED_LAST: Record<IdKind, (value: string) => boolean> = {
  event: () => false,
  contact: (value) => value === contactIds.last,
  conversation: (value) => value === conversationIds.last,
  message: (value) => value === lastMessageId,
};

/** The character code of each base32 digit. */
const DIGIT = Array.from(CROCKFORD, (digit) => digit.charCodeAt(0));

/**
 * The prefix and the first 100 bits of a digest (a `latin1` string: one character per byte) as 20 base32
 * characters, read most significant bit first: 5 bytes are exactly 8 digits, so bytes 0-4 and 5-9 give 16 digits
 * and bytes 10-12 the last 4 (of their 24 bits, 4 are unused). One `String.fromCharCode` call makes one flat
 * string: concatenating the digits one by one cost four times as much, and a prefix concatenated to them would
 * give a rope that the envelope's id check flattens again.
 */
function encodeId(prefix: string, digest: string): string {
  const b0 = digest.charCodeAt(0),
    b1 = digest.charCodeAt(1),
    b2 = digest.charCodeAt(2),
    b3 = digest.charCodeAt(3);
  const b4 = digest.charCodeAt(4),
    b5 = digest.charCodeAt(5),
    b6 = digest.charCodeAt(6),
    b7 = digest.charCodeAt(7);
  const b8 = digest.charCodeAt(8),
    b9 = digest.charCodeAt(9),
    b10 = digest.charCodeAt(10),
    b11 = digest.charCodeAt(11);
  const b12 = digest.charCodeAt(12);
  const d = DIGIT;
  const d0 = d[b0 >>> 3]!,
    d1 = d[((b0 & 7) << 2) | (b1 >>> 6)]!,
    d2 = d[(b1 >>> 1) & 31]!,
    d3 = d[((b1 & 1) << 4) | (b2 >>> 4)]!;
  const d4 = d[((b2 & 15) << 1) | (b3 >>> 7)]!,
    d5 = d[(b3 >>> 2) & 31]!,
    d6 = d[((b3 & 3) << 3) | (b4 >>> 5)]!,
    d7 = d[b4 & 31]!;
  const d8 = d[b5 >>> 3]!,
    d9 = d[((b5 & 7) << 2) | (b6 >>> 6)]!,
    d10 = d[(b6 >>> 1) & 31]!,
    d11 = d[((b6 & 1) << 4) | (b7 >>> 4)]!;
  const d12 = d[((b7 & 15) << 1) | (b8 >>> 7)]!,
    d13 = d[(b8 >>> 2) & 31]!,
    d14 = d[((b8 & 3) << 3) | (b9 >>> 5)]!,
    d15 = d[b9 & 31]!;
  const d16 = d[b10 >>> 3]!,
    d17 = d[((b10 & 7) << 2) | (b11 >>> 6)]!,
    d18 = d[(b11 >>> 1) & 31]!,
    d19 = d[((b11 & 1) << 4) | (b12 >>> 4)]!;
  switch (prefix.length) {
    case 3:
      return String.fromCharCode(
        prefix.charCodeAt(0),
        prefix.charCodeAt(1),
        prefix.charCodeAt(2),
        d0,
        d1,
        d2,
        d3,
        d4,
        d5,
        d6,
        d7,
        d8,
        d9,
        d10,
        d11,
        d12,
        d13,
        d14,
        d15,
        d16,
        d17,
        d18,
        d19,
      );
    case 4:
      return String.fromCharCode(
        prefix.charCodeAt(0),
        prefix.charCodeAt(1),
        prefix.charCodeAt(2),
        prefix.charCodeAt(3),
        d0,
        d1,
        d2,
        d3,
        d4,
        d5,
        d6,
        d7,
        d8,
        d9,
        d10,
        d11,
        d12,
        d13,
        d14,
        d15,
        d16,
        d17,
        d18,
        d19,
      );
    case 5:
      return String.fromCharCode(
        prefix.charCodeAt(0),
        prefix.charCodeAt(1),
        prefix.charCodeAt(2),
        prefix.charCodeAt(3),
        prefix.charCodeAt(4),
        d0,
        d1,
        d2,
        d3,
        d4,
        d5,
        d6,
        d7,
        d8,
        d9,
        d10,
        d11,
        d12,
        d13,
        d14,
        d15,
        d16,
        d17,
        d18,
        d19,
      );
    default:
      return (
        prefix +
        String.fromCharCode(d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, d11, d12, d13, d14, d15, d16, d17, d18, d19)
      );
  }
}

/**
 * 20 Crockford base32 characters (100 bits) of the SHA-256 of the parts. The parts are JSON-encoded as an array,
 * so `("a", "b:c")` and `("a:b", "c")` never collide, and the result is the same on every machine and run.
 */
export function hashId(parts: readonly (string | number)[]): string {
  return encodeId("", sha256Latin1(JSON.stringify(parts)));
}

function idOfJson(kind: IdKind, json: string): string {
  return encodeId(ID_PREFIXES[kind], sha256Latin1(json));
}

/** A character `JSON.stringify` escapes in a string: `"`, `\\`, a control character, or a surrogate (lone ones are escaped). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The last string `jsonString` was given, and its JSON. */
let lastJsonInput: string | undefined;
let lastJsonOutput = "";

/**
 * `JSON.stringify(value)` of a string, by concatenation when it has nothing to escape (every id part in real
 * traffic); a string with a quote, a backslash, a control character or any surrogate (a valid pair is written as
 * it is, a lone one escaped) takes `JSON.stringify` itself. The bytes are the same either way, so ids are too.
 * The first character is read before the test: on a concatenated string (a rope, such as a WhatsApp status's
 * key `wamid:status`) `charCodeAt` flattens it in place, and the regular expression then runs on the flat text
 * directly; given a rope, `test` goes through the runtime (~600 instructions more a key). A first character
 * that is escaped answers without the test.
 */
function jsonString(value: string): string {
  // an event's key is often its message's platform id: `messageId` and `eventId` then read the same string in turn
  if (value === lastJsonInput) return lastJsonOutput;
  const first = value.charCodeAt(0);
  const json =
    first === 0x22 || first === 0x5c || first < 0x20 || ESCAPED.test(value) ? JSON.stringify(value) : `"${value}"`;
  lastJsonInput = value;
  lastJsonOutput = json;
  return json;
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
  private current = new Map<string, Map<string | number, string>>();
  private previous = new Map<string, Map<string | number, string>>();
  private size = 0;
  /** the id `get` returned last (see `idPattern`) */
  last: string | undefined;

  constructor(private readonly kind: IdKind) {}

  /**
   * A number is its own key (Telegram's ids are numbers: no string is made for a lookup that hits), and gives the
   * id of its string, so `42` and `"42"` map to one id, each under its own key.
   */
  get(blockId: string, platformId: string | number): string {
    let inBlock = this.current.get(blockId);
    let id = inBlock?.get(platformId);
    if (id !== undefined) return (this.last = id);
    id = this.previous.get(blockId)?.get(platformId) ?? idOfJson(this.kind, jsonPair(blockId, String(platformId)));
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
    return (this.last = id);
  }
}

const contactIds = new RepeatedIds("contact");
const conversationIds = new RepeatedIds("conversation");

export function prefixedId(kind: IdKind, parts: readonly (string | number)[]): string {
  return idOfJson(kind, JSON.stringify(parts));
}

/** `evt_…` of (platform, block, dedupe key of the raw event, type): the same raw event always gets the same id. */
export function eventId(platform: string, blockId: string, dedupeKey: string, type: string): string {
  return idOfJson("event", eventHead(platform, blockId) + jsonString(dedupeKey) + typeTail(type));
}

/*
 * The JSON text around an id's one new part: every event of a block shares its platform and block, and a type is
 * one of the catalogue's few. Remembering that text (the last platform and block; the types seen, bounded) runs
 * the escaping test once per value instead of once per event; the bytes hashed are the same.
 */
let lastEventPlatform: string | undefined;
let lastEventBlock: string | undefined;
let lastEventHead = "";

function eventHead(platform: string, blockId: string): string {
  if (platform !== lastEventPlatform || blockId !== lastEventBlock) {
    lastEventHead = `[${jsonString(platform)},${jsonString(blockId)},`;
    lastEventPlatform = platform;
    lastEventBlock = blockId;
  }
  return lastEventHead;
}

const TYPE_TAILS = 256;
const typeTails = new Map<string, string>();

function typeTail(type: string): string {
  let tail = typeTails.get(type);
  if (tail === undefined) {
    tail = `,${jsonString(type)}]`;
    if (typeTails.size >= TYPE_TAILS) typeTails.clear();
    typeTails.set(type, tail);
  }
  return tail;
}

let lastMessageBlock: string | undefined;
let lastMessageHead = "";
let lastMessageId: string | undefined;

/** `ct_…` of (block, platform user id). */
export function contactId(blockId: string, platformUserId: string | number): string {
  return contactIds.get(blockId, platformUserId);
}

/** `conv_…` of (block, platform thread id). */
export function conversationId(blockId: string, platformThreadId: string | number): string {
  return conversationIds.get(blockId, platformThreadId);
}

/** `msg_…` of (block, platform message id); a reaction and the message it targets derive the same id. */
export function messageId(blockId: string, platformMessageId: string | number): string {
  if (blockId !== lastMessageBlock) {
    lastMessageHead = `[${jsonString(blockId)},`;
    lastMessageBlock = blockId;
  }
  return (lastMessageId = idOfJson("message", lastMessageHead + jsonString(String(platformMessageId)) + "]"));
}
