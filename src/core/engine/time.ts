import { parseISO } from "date-fns/parseISO";

/**
 * Below this a number cannot be epoch milliseconds of any date after 1973-03-03, but as seconds it covers every
 * date up to the year 5138. It tells seconds from milliseconds whatever the field was documented as: Meta
 * documents ms for messaging timestamps yet sometimes sends seconds
 * (https://developers.facebook.com/docs/messenger-platform/reference/webhook-events: `timestamp` "in milliseconds").
 */
const SECONDS_CEILING = 100_000_000_000;

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** ISO 8601 with a four-digit year, which the envelope's datetime format requires: 1970-01-01 … 9999-12-31. */
const EARLIEST = 0;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export class InvalidTimestampError extends Error {
  override readonly name = "InvalidTimestampError";
}

/**
 * Normalises a platform time to ISO 8601 UTC with milliseconds (`2026-03-31T10:15:30.000Z`).
 * Accepts ms numbers, seconds numbers, seconds as strings (WhatsApp), ISO strings (Meta feed `created_time`),
 * and seconds sent where ms were documented: numbers are classified by magnitude, not by what the field was
 * documented as, because platforms are not consistent with their own docs.
 */
export function normalizeTimestamp(value: number | string | Date): string {
  const iso = value instanceof Date ? isoOfDate(value) : platformTime(value);
  if (iso === undefined) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 64)) : String(value);
    throw new InvalidTimestampError(`not a valid timestamp between 1970 and 9999: ${shown}`);
  }
  return iso;
}

/**
 * A platform time, or `undefined` when the value is not one (negative, past the year 9999, not a number or a
 * date): the envelope then takes the receive time and keeps what was sent in `metadata.platform_timestamp`.
 * One rule for every adapter, so a bad clock on one item never costs the items beside it.
 * The last value read is remembered: the items of a batch, and the events of one item, mostly share their time.
 */
export function platformTime(value: number | string): string | undefined {
  if (value === lastValue && lastValue !== undefined) return lastIso;
  const iso = isoInRange(epochMillisOf(value));
  lastValue = value;
  lastIso = iso;
  return iso;
}

let lastValue: number | string | undefined;
let lastIso: string | undefined;

/** Now, as `normalizeTimestamp(new Date())` gives it, without the `Date`. */
export function nowIso(): string {
  const millis = Date.now();
  // a clock outside 1970…9999 fails as `normalizeTimestamp` would
  return (lastNow = isoInRange(millis) ?? normalizeTimestamp(new Date(millis)));
}

let lastNow: string | undefined;

/**
 * Now as `new Date().toISOString()` writes it, for a log line's time: from the caches below between 1970 and 9999,
 * from `Date` outside them (never an error: a log line is written whatever the clock says). Unlike `nowIso` it is
 * not remembered as a receive time.
 */
export function clockIso(): string {
  const millis = Date.now();
  return isoInRange(millis) ?? new Date(millis).toISOString();
}

/** Whether the value is what `nowIso` last returned: a valid ISO 8601 time, as it was formatted here. */
export function isLastNowIso(value: string): boolean {
  return lastNow !== undefined && value === lastNow;
}

function isoOfDate(date: Date): string | undefined {
  return isoInRange(date.getTime());
}

/**
 * The time as ISO 8601 when it is a date between 1970 and 9999, or `undefined`; plain `Date` arithmetic on the hot
 * path. The last millisecond formatted is remembered: requests received within one millisecond, and the items of
 * a batch, share it.
 */
function isoInRange(millis: number): string | undefined {
  if (millis === lastMillis) return lastMillisIso;
  // `new Date(ms)` truncates a fraction (and anything past ±8.64e15 is invalid, outside the range anyway)
  const time = Math.trunc(millis);
  const iso = Number.isNaN(time) || time < EARLIEST || time > LATEST ? undefined : isoOfMillis(time);
  lastMillis = millis;
  lastMillisIso = iso;
  return iso;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, "0"));
/** `SS.` of every second and `mmmZ` of every millisecond: a time's last seven characters are two of these */
const SECOND_DOT = PAD2.map((seconds) => `${seconds}.`);
const MILLIS_Z = Array.from({ length: 1000 }, (_, n) => `${String(n).padStart(3, "0")}Z`);
// two days remembered: a receive time (today) and platform times (often today, sometimes another day) alternate
let dayStart = Number.NaN;
let dayPrefix = "";
let otherDayStart = Number.NaN;
let otherDayPrefix = "";
/**
 * The `YYYY-MM-DDTHH:MM:` of the minutes formatted last, by the minute's number modulo 8 (with the minute's first
 * millisecond, to tell the minutes of one slot apart): the times of a batch come from a few minutes, often in
 * turn (a status sent, delivered, read), and the receive time is a minute of its own.
 */
const MINUTE_SLOTS = 8;
const minuteStarts: number[] = Array.from({ length: MINUTE_SLOTS }, () => Number.NaN);
const minutePrefixes: string[] = Array.from({ length: MINUTE_SLOTS }, () => "");

/**
 * `new Date(time).toISOString()` for an integer time between 1970 and 9999: the day's `YYYY-MM-DDT` is formatted
 * once per day (two days are remembered) and the time of day by arithmetic (UTC has no leap seconds in ECMAScript time), which costs a
 * fraction of `toISOString`; every envelope formats its receive time, a new millisecond on almost every request.
 * `test/core/time.test.ts` checks it against `toISOString`.
 */
function isoOfMillis(time: number): string {
  let offset = time - dayStart;
  if (!(offset >= 0 && offset < DAY_MS)) {
    const start = time - (time % DAY_MS);
    const prefix = start === otherDayStart ? otherDayPrefix : new Date(start).toISOString().slice(0, 11);
    otherDayStart = dayStart;
    otherDayPrefix = dayPrefix;
    dayStart = start;
    dayPrefix = prefix;
    offset = time - dayStart;
  }
  const inMinute = offset % 60_000;
  const minuteStart = time - inMinute;
  const slot = (minuteStart / 60_000) % MINUTE_SLOTS;
  if (minuteStarts[slot] !== minuteStart) {
    const hours = Math.floor(offset / 3_600_000);
    const minutes = Math.floor((offset % 3_600_000) / 60_000);
    minuteStarts[slot] = minuteStart;
    minutePrefixes[slot] = `${dayPrefix}${PAD2[hours]!}:${PAD2[minutes]!}:`;
  }
  // two concatenations, not ten: `SS.mmmZ` is short enough for V8 to make it a flat string, and the time one
  // rope of the minute's prefix and that (each concatenation of 13 characters or more allocates a rope node)
  return minutePrefixes[slot]! + (SECOND_DOT[Math.floor(inMinute / 1000)]! + MILLIS_Z[inMinute % 1000]!);
}

/** NaN never equals itself, so an invalid time is never answered from here. */
let lastMillis = Number.NaN;
let lastMillisIso: string | undefined;

function epochMillisOf(value: number | string): number {
  if (typeof value === "number") return millisOfEpochNumber(value);
  const digits = digitsValue(value);
  if (digits !== undefined) return millisOfEpochNumber(digits);
  const trimmed = value.trim();
  if (NUMERIC.test(trimmed)) return millisOfEpochNumber(Number(trimmed));
  if (trimmed === "") return Number.NaN;
  return parseISO(trimmed).getTime();
}

/**
 * The number a string of 1 to 15 decimal digits and nothing else spells (what `Number` reads from it: below 2^53,
 * exact), or `undefined` for any other string. Seconds as a string (WhatsApp's every time) without the regular
 * expression, the trim and the conversion, which cost a few hundred instructions per event.
 */
function digitsValue(value: string): number | undefined {
  const length = value.length;
  if (length === 0 || length > 15) return undefined;
  let number = 0;
  for (let index = 0; index < length; index++) {
    const digit = value.charCodeAt(index) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    number = number * 10 + digit;
  }
  return number;
}

function millisOfEpochNumber(value: number): number {
  if (!Number.isFinite(value) || value < 0) return Number.NaN;
  return Math.abs(value) < SECONDS_CEILING ? value * 1000 : value;
}

/** True when the value is a usable timestamp; adapters use it to fall back to the receive time. */
export function isTimestamp(value: unknown): value is number | string {
  return (typeof value === "number" || typeof value === "string") && platformTime(value) !== undefined;
}
