import { fromUnixTime, isValid, parseISO, toDate } from "date-fns";
import fc from "fast-check";
import { isTimestamp, normalizeTimestamp } from "../../src/core";
import { platformTime } from "../../src/core/engine";
import { isLastNowIso, nowIso } from "../../src/core/engine/time";
import { logTime } from "../../src/core/logger";

describe("normalizeTimestamp", () => {
  const iso = "2026-03-31T10:15:30.000Z";
  const seconds = Date.parse(iso) / 1000;

  it.each([
    ["ms number (Meta messaging, LINE)", seconds * 1000],
    ["seconds number (Telegram)", seconds],
    ["seconds string (WhatsApp)", String(seconds)],
    ["ISO string with Z", "2026-03-31T10:15:30Z"],
    ["ISO string with +0000 offset (Meta feed created_time)", "2026-03-31T10:15:30+0000"],
    ["ISO string with another offset", "2026-03-31T12:15:30+02:00"],
    ["Date", new Date(iso)],
  ])("accepts %s", (_label, value) => {
    expect(normalizeTimestamp(value)).toBe(iso);
  });

  it("keeps milliseconds", () => {
    expect(normalizeTimestamp(seconds * 1000 + 123)).toBe("2026-03-31T10:15:30.123Z");
    expect(normalizeTimestamp("2026-03-31T10:15:30.5Z")).toBe("2026-03-31T10:15:30.500Z");
  });

  it("reads seconds sent where milliseconds were documented by magnitude", () => {
    // Meta sometimes sends seconds in a ms field; as ms this would be January 1970
    expect(normalizeTimestamp(1751368800)).toBe("2025-07-01T11:20:00.000Z");
    expect(normalizeTimestamp(1751368800000)).toBe("2025-07-01T11:20:00.000Z");
  });

  it.each([["not a date"], [""], ["  "], [Number.NaN], [-5], [Number.POSITIVE_INFINITY], ["2026-13-45T99:00:00Z"]])(
    "rejects %p",
    (value) => {
      expect(() => normalizeTimestamp(value as string | number)).toThrow("not a valid timestamp");
      expect(isTimestamp(value)).toBe(false);
    },
  );
});

describe("normalizeTimestamp against the date-fns reading it replaced", () => {
  // the rule as it was written with date-fns, kept here as the reference for the plain Date arithmetic
  function reference(value: number | string): string | undefined {
    const fromNumber = (n: number) =>
      !Number.isFinite(n) || n < 0 ? new Date(Number.NaN) : Math.abs(n) < 100_000_000_000 ? fromUnixTime(n) : toDate(n);
    let date: Date;
    if (typeof value === "number") date = fromNumber(value);
    else {
      const trimmed = value.trim();
      if (/^-?\d+(\.\d+)?$/.test(trimmed)) date = fromNumber(Number(trimmed));
      else date = trimmed === "" ? new Date(Number.NaN) : parseISO(trimmed);
    }
    const time = date.getTime();
    return !isValid(date) || time < 0 || time > Date.UTC(9999, 11, 31, 23, 59, 59, 999)
      ? undefined
      : date.toISOString();
  }

  it("gives the same time or the same refusal for any number or string", () => {
    const values = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.double({ min: 0, max: 3e14 }),
      fc.integer({ min: 0, max: 300_000_000_000_000 }).map(String),
      // digits only, read without the regular expression up to 15 of them: leading zeros, 16 and more, a sign or a space
      fc
        .tuple(
          fc.constantFrom("", "0", "00", "-", "+", " "),
          fc.array(fc.constantFrom(..."0123456789"), { maxLength: 18 }),
          fc.constantFrom("", " ", ".5", "x"),
        )
        .map(([head, digits, tail]) => head + digits.join("") + tail),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.string(),
    );
    fc.assert(
      fc.property(values, (value) => {
        expect(platformTime(value)).toBe(reference(value));
      }),
      { numRuns: 5000 },
    );
  });

  it("gives the same answers in any sequence, repeats included (the last value is remembered)", () => {
    const pool = [
      "1751380200",
      1751380200,
      "1751380200 ",
      1751380200000,
      -1,
      "x",
      "",
      Number.NaN,
      0,
      -0,
      "2026-03-31T10:15:30Z",
    ] as const;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 20 }), (values) => {
        for (const value of values) {
          expect(platformTime(value)).toBe(reference(value));
          if (reference(value) === undefined) expect(() => normalizeTimestamp(value)).toThrow("not a valid timestamp");
          else expect(normalizeTimestamp(value)).toBe(reference(value));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatting a time as ISO 8601", () => {
  const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  const DAY = 86_400_000;

  it("writes what toISOString writes for any millisecond from 1970 to 9999, in any order", () => {
    // arbitrary times, and runs of times around day boundaries (the formatter remembers the current day)
    const nearMidnight = fc
      .tuple(fc.integer({ min: 1, max: Math.floor(LATEST / DAY) }), fc.integer({ min: -2_000, max: 2_000 }))
      .map(([day, delta]) => day * DAY + delta);
    const times = fc.array(
      fc.oneof(fc.integer({ min: 0, max: LATEST }), nearMidnight, fc.constantFrom(0, LATEST, DAY - 1, DAY)),
      { minLength: 1, maxLength: 30 },
    );
    fc.assert(
      fc.property(times, (values) => {
        for (const millis of values) expect(normalizeTimestamp(new Date(millis))).toBe(new Date(millis).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});

describe("a log record's time (logTime)", () => {
  afterEach(() => jest.restoreAllMocks());

  it("writes what new Date().toISOString() writes for any clock, outside 1970…9999 too, and never throws", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 253_402_300_799_999 }),
          fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
          fc.constantFrom(-1, 253_402_300_800_000, 8_640_000_000_000_000),
        ),
        (millis) => {
          jest.spyOn(Date, "now").mockReturnValue(millis);
          expect(logTime()).toBe(new Date(millis).toISOString());
        },
      ),
    );
  });

  it("leaves the receive time nowIso gave trusted", () => {
    const received = nowIso();
    logTime();
    expect(isLastNowIso(received)).toBe(true);
  });
});
