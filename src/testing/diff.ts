import { diffJson, formatChanges } from "../cli/diff";

/**
 * The per-field diff of two JSON values exactly as `convotic replay` prints it for a changed golden file: one line
 * per changed leaf, `~ path: before → after`, `+ path: value`, `- path: value`, at most `limit` lines and then a
 * count of the rest. The conformance suite's golden check prints the same lines, so both say the same thing.
 */
export function jsonDiff(expected: unknown, actual: unknown, limit = 40): string[] {
  return formatChanges(diffJson(expected, actual), limit);
}
