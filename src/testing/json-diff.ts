/*
 * A per-field diff of two JSON values, for reviewing golden files: one line per changed leaf, addressed by its
 * path (`events[0].data.message.text`), so a mapping change reads as the fields it changed.
 */

export type Change =
  | { kind: "changed"; path: string; before: unknown; after: unknown }
  | { kind: "added"; path: string; after: unknown }
  | { kind: "removed"; path: string; before: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const child = (path: string, key: string | number) =>
  typeof key === "number"
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? path === ""
        ? key
        : `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;

export function diffJson(before: unknown, after: unknown, path = ""): Change[] {
  if (Array.isArray(before) && Array.isArray(after)) {
    const changes: Change[] = [];
    for (let index = 0; index < Math.max(before.length, after.length); index += 1) {
      const where = child(path, index);
      if (index >= after.length) changes.push({ kind: "removed", path: where, before: before[index] });
      else if (index >= before.length) changes.push({ kind: "added", path: where, after: after[index] });
      else changes.push(...diffJson(before[index], after[index], where));
    }
    return changes;
  }
  if (isObject(before) && isObject(after)) {
    const changes: Change[] = [];
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      const where = child(path, key);
      if (!(key in after)) changes.push({ kind: "removed", path: where, before: before[key] });
      else if (!(key in before)) changes.push({ kind: "added", path: where, after: after[key] });
      else changes.push(...diffJson(before[key], after[key], where));
    }
    return changes;
  }
  return JSON.stringify(before) === JSON.stringify(after)
    ? []
    : [{ kind: "changed", path: path || "(root)", before, after }];
}

const MAX_VALUE = 120;
const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
};

/** Readable lines: `~ path: before → after`, `+ path: value`, `- path: value`. */
export function formatChanges(changes: readonly Change[], limit = 40): string[] {
  const lines = changes.slice(0, limit).map((change) => {
    switch (change.kind) {
      case "changed":
        return `  ~ ${change.path}: ${show(change.before)} → ${show(change.after)}`;
      case "added":
        return `  + ${change.path}: ${show(change.after)}`;
      case "removed":
        return `  - ${change.path}: ${show(change.before)}`;
    }
  });
  if (changes.length > limit) lines.push(`  … ${changes.length - limit} more change(s)`);
  return lines;
}

/**
 * The per-field diff of two JSON values exactly as `convotic replay` prints it for a changed golden file: one line
 * per changed leaf, `~ path: before → after`, `+ path: value`, `- path: value`, at most `limit` lines and then a
 * count of the rest. The conformance suite's golden check prints the same lines, so both say the same thing.
 */
export function jsonDiff(expected: unknown, actual: unknown, limit = 40): string[] {
  return formatChanges(diffJson(expected, actual), limit);
}
