import { FORM_MEDIA_TYPE, isXmlMediaType, mediaTypeOf } from "./content-type";
import { ConvoticError } from "./errors";

/**
 * How many object members ("keys") and array elements ("items") a JSON body holds, counted on its bytes before
 * anything parses it. What a body costs after parsing (objects built, items validated and normalised, unhandled
 * records kept) grows with these counts far more than with its size: a 1 MiB body of empty items is 349,000
 * items, each one a zod failure and an unhandled record (3 s of event loop). Capping them bounds the work of one
 * request whatever body limit is configured (docs/reliability.md, "What input can cost").
 */
export interface ShapeLimits {
  /** object members in the whole body, at every depth */
  readonly maxKeys: number;
  /** array elements in the whole body, at every depth */
  readonly maxItems: number;
}

/** The first cap a body goes over, and the count that went over it (counting stops there). */
export interface ShapeExcess {
  readonly what: "keys" | "items";
  readonly limit: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/** Whitespace JSON allows between tokens (RFC 8259 §2). */
function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * The shortest body that can hold more than the caps: a key costs at least 5 bytes (`"":0,`), an item at least 2
 * (`0,`). Anything shorter is not scanned at all, so single webhooks (a few KiB) never pay for the count.
 */
export function shapeScanThreshold(limits: ShapeLimits): number {
  return Math.min(5 * (limits.maxKeys + 1), 2 * (limits.maxItems + 1));
}

/** Index of the quote that closes the string opened at `open`, or the body's length when it never closes. */
function stringEnd(bytes: Uint8Array, open: number): number {
  let at = open;
  for (;;) {
    // the native search skips a long string's content without a byte loop in JavaScript
    at = bytes.indexOf(QUOTE, at + 1);
    if (at === -1) return bytes.length;
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * Counts keys and items in one pass over the bytes (strings are skipped with a native search) and stops at the
 * first cap exceeded. It does not validate: a body that is not JSON is counted as far as it goes and refused by
 * the parser afterwards. Returns `undefined` when the body is within both caps.
 */
export function exceedsShape(bytes: Uint8Array, limits: ShapeLimits): ShapeExcess | undefined {
  if (bytes.length < shapeScanThreshold(limits)) return undefined;
  const { maxKeys, maxItems } = limits;
  // one entry per open container: 1 for an array, 0 for an object
  const open: number[] = [];
  let inArray = false;
  let arrayJustOpened = false;
  let keys = 0;
  let items = 0;
  const length = bytes.length;
  for (let index = 0; index < length; index++) {
    const byte = bytes[index]!;
    if (isSpace(byte)) continue;
    if (arrayJustOpened) {
      arrayJustOpened = false;
      // the first element of a non-empty array (the others follow a comma)
      if (byte !== CLOSE_ARRAY && ++items > maxItems) return { what: "items", limit: maxItems };
    }
    switch (byte) {
      case QUOTE:
        index = stringEnd(bytes, index);
        break;
      case COLON:
        if (++keys > maxKeys) return { what: "keys", limit: maxKeys };
        break;
      case COMMA:
        if (inArray && ++items > maxItems) return { what: "items", limit: maxItems };
        break;
      case OPEN_ARRAY:
        open.push(1);
        inArray = true;
        arrayJustOpened = true;
        break;
      case OPEN_OBJECT:
        open.push(0);
        inArray = false;
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        open.pop();
        inArray = open.length > 0 && open[open.length - 1] === 1;
        break;
      default:
        break;
    }
  }
  return undefined;
}

/**
 * Whether `byte` occurs more than `limit` times (counting from `start`), not counting occurrences followed by
 * `unless` (a closing tag's `</`); native search, no byte loop in JavaScript.
 */
function countOver(bytes: Uint8Array, byte: number, limit: number, start = 0, unless = -1): boolean {
  let count = start;
  let at = -1;
  while ((at = bytes.indexOf(byte, at + 1)) !== -1) {
    if (bytes[at + 1] !== unless && ++count > limit) return true;
  }
  return false;
}

const AMPERSAND = 0x26;
const LESS_THAN = 0x3c;
const SLASH = 0x2f;

/**
 * The same caps for a body of any media type the adapters parse: a form's fields (`&`-separated pairs) and an
 * XML body's opening tags (`<` but not `</`) count as keys, JSON is scanned by `exceedsShape`. What parsing costs grows with these
 * counts, whatever the syntax; an unknown media type is scanned as JSON (it counts nothing it should not).
 */
export function exceedsShapeOf(
  bytes: Uint8Array,
  limits: ShapeLimits,
  contentType: string | undefined,
): ShapeExcess | undefined {
  const type = mediaTypeOf(contentType);
  if (type === FORM_MEDIA_TYPE) {
    // n separators make n + 1 fields; a body shorter than the cap cannot hold more
    if (bytes.length <= limits.maxKeys) return undefined;
    return countOver(bytes, AMPERSAND, limits.maxKeys, 1) ? { what: "keys", limit: limits.maxKeys } : undefined;
  }
  if (isXmlMediaType(type)) {
    if (bytes.length <= limits.maxKeys) return undefined;
    return countOver(bytes, LESS_THAN, limits.maxKeys, 0, SLASH) ? { what: "keys", limit: limits.maxKeys } : undefined;
  }
  return exceedsShape(bytes, limits);
}

/**
 * A body over a cap: 413 with `too_many_keys` or `too_many_items`. The platforms never send such a body (Meta
 * batches at most 1,000 updates), so it is refused whole and not retried.
 */
export class BodyShapeError extends ConvoticError {
  override readonly name = "BodyShapeError";
  constructor(platform: string, excess: ShapeExcess) {
    const noun = excess.what === "keys" ? "object keys" : "array items";
    const code = excess.what === "keys" ? "too_many_keys" : "too_many_items";
    super(`the body holds more than ${excess.limit} ${noun}, the configured limit (max_${excess.what})`, {
      code,
      status: 413,
      platform,
    });
  }
}
