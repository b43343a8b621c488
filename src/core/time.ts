import { fromUnixTime, isValid, parseISO, toDate } from "date-fns";

/**
 * Below this a number cannot be epoch milliseconds of any date after 1973-03-03, but as seconds it covers every
 * date up to the year 5138. It tells seconds from milliseconds whatever the field was documented as: Meta
 * documents ms for messaging timestamps yet sometimes sends seconds (meta-platforms.md §5).
 */
const SECONDS_CEILING = 100_000_000_000;

const NUMERIC = /^-?\d+(\.\d+)?$/;

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
  const date = toDateValue(value);
  if (!isValid(date)) {
    throw new InvalidTimestampError(`not a valid timestamp: ${JSON.stringify(value)}`);
  }
  return date.toISOString();
}

function toDateValue(value: number | string | Date): Date {
  if (value instanceof Date) return toDate(value);
  if (typeof value === "number") return fromEpochNumber(value);
  const trimmed = value.trim();
  if (NUMERIC.test(trimmed)) return fromEpochNumber(Number(trimmed));
  if (trimmed === "") return new Date(Number.NaN);
  return parseISO(trimmed);
}

function fromEpochNumber(value: number): Date {
  if (!Number.isFinite(value) || value < 0) return new Date(Number.NaN);
  return Math.abs(value) < SECONDS_CEILING ? fromUnixTime(value) : toDate(value);
}

/** True when the value is a usable timestamp; adapters use it to fall back to the receive time. */
export function isTimestamp(value: unknown): value is number | string {
  if (typeof value !== "number" && typeof value !== "string") return false;
  try {
    normalizeTimestamp(value);
    return true;
  } catch {
    return false;
  }
}
