import { isTimestamp, normalizeTimestamp } from "../../src/core";

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
