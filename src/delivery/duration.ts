import { z } from "zod";

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"1500ms"`, `"2s"`, `"36h"`, `"7d"`, or a number of milliseconds. */
export const Duration = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'a duration such as "1500ms", "10s", "36h" or "7d"'),
  ])
  .transform((value) => {
    if (typeof value === "number") return value;
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value)!;
    return Number(amount) * UNITS[unit!]!;
  });

/** One duration for every platform, or durations by platform name with an optional `default`. */
export const PerPlatformDuration = z.union([
  Duration,
  z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "a platform name or default"), Duration),
]);
