/**
 * A readable per-field diff of two JSON values: one line per differing path, `-` the expected value, `+` the
 * actual one. Shared by the conformance kit's golden check and `convotic replay`, so both say the same thing.
 */
export function jsonDiff(expected: unknown, actual: unknown, limit = 40): string[] {
  const lines: string[] = [];
  walk(expected, actual, "", lines, limit);
  return lines;
}

function walk(expected: unknown, actual: unknown, path: string, lines: string[], limit: number): void {
  if (lines.length >= limit) return;
  if (isContainer(expected) && isContainer(actual) && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = Array.isArray(expected)
      ? Array.from({ length: Math.max(expected.length, (actual as unknown[]).length) }, (_, index) => String(index))
      : [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
    for (const key of keys) {
      const left = (expected as Record<string, unknown>)[key];
      const right = (actual as Record<string, unknown>)[key];
      const has = [Object.hasOwn(expected, key), Object.hasOwn(actual, key)];
      const at = Array.isArray(expected) ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
      if (!has[0]) lines.push(`+ ${at}: ${show(right)}`);
      else if (!has[1]) lines.push(`- ${at}: ${show(left)}`);
      else walk(left, right, at, lines, limit);
      if (lines.length >= limit) return;
    }
    return;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    const at = path === "" ? "(root)" : path;
    lines.push(`- ${at}: ${show(expected)}`, `+ ${at}: ${show(actual)}`);
  }
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === "object";
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? "undefined";
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
