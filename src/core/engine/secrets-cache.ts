import type { PlatformAdapter } from "../adapter";
import { isPlainObject } from "../objects";
import { checkSecrets } from "../secrets";

interface CheckedSecrets {
  readonly adapter: PlatformAdapter<unknown, never>;
  /** a copy of the secrets as they were when checked: a later change to the object is checked again */
  readonly snapshot: Snapshot;
  readonly checked: unknown;
}

/** Plain JSON-like data: what a secrets object is made of. An object keeps its keys in order beside their values. */
type Snapshot = string | number | boolean | null | readonly Snapshot[] | ObjectSnapshot;

class ObjectSnapshot {
  constructor(
    readonly keys: readonly string[],
    readonly values: readonly Snapshot[],
  ) {}
}

/** Secrets objects already checked, by identity: a block passes the same object with every request. */
const checkedSecrets = new WeakMap<object, CheckedSecrets>();

/** Deeper than this a secrets object is not remembered (checked every time); real ones nest two levels. */
const SNAPSHOT_DEPTH = 8;

/**
 * `checkSecrets` for the request path: a block's secrets object is validated with zod once, then recognised by
 * identity and by a comparison with a copy of its content taken when it was checked (no allocation, unlike the
 * JSON snapshot it replaces), so a mutated object is checked again and the checks still fail closed. Anything
 * that is not plain data (strings, finite or not numbers, booleans, null, arrays, objects whose prototype is
 * `Object.prototype` or null) is checked every time.
 */
export function checkSecretsOnce<Secrets>(adapter: PlatformAdapter<unknown, Secrets>, secrets: unknown): Secrets {
  if (typeof secrets !== "object" || secrets === null) return checkSecrets(adapter, secrets);
  const known = checkedSecrets.get(secrets);
  if (known !== undefined && known.adapter === adapter && sameData(secrets, known.snapshot, 0))
    return known.checked as Secrets;
  // the copy is taken before zod reads the object, so what was checked is never newer than what is compared
  const snapshot = snapshotOf(secrets, 0);
  const checked = checkSecrets(adapter, secrets);
  if (snapshot === undefined) checkedSecrets.delete(secrets);
  else checkedSecrets.set(secrets, { adapter: adapter as PlatformAdapter<unknown, never>, snapshot, checked });
  return checked;
}

/** A copy of plain data, or `undefined` when the value holds anything else (or nests deeper than the bound). */
function snapshotOf(value: unknown, depth: number): Snapshot | undefined {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  if (typeof value !== "object" || depth >= SNAPSHOT_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const copy: Snapshot[] = [];
    for (let index = 0; index < value.length; index++) {
      const item = snapshotOf(value[index], depth + 1);
      if (item === undefined) return undefined;
      copy.push(item);
    }
    return copy;
  }
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  const values: Snapshot[] = [];
  for (const key of keys) {
    const item = snapshotOf((value as Record<string, unknown>)[key], depth + 1);
    if (item === undefined) return undefined;
    values.push(item);
  }
  return new ObjectSnapshot(keys, values);
}

/**
 * Whether the value holds exactly the snapshot's data: the same own keys in the same order, the same values. Runs
 * on every request, so it walks the keys with `for…in` (own ones only, as `Object.keys` lists them) instead of
 * listing them into arrays.
 */
function sameData(value: unknown, snapshot: Snapshot, depth: number): boolean {
  if (snapshot === null || typeof snapshot !== "object") return Object.is(value, snapshot);
  if (typeof value !== "object" || value === null || depth >= SNAPSHOT_DEPTH) return false;
  if (Array.isArray(snapshot)) {
    if (!Array.isArray(value) || value.length !== snapshot.length) return false;
    for (let index = 0; index < snapshot.length; index++)
      if (!sameData(value[index], snapshot[index]!, depth + 1)) return false;
    return true;
  }
  if (Array.isArray(value) || !isPlainObject(value) || !(snapshot instanceof ObjectSnapshot)) return false;
  const { keys, values } = snapshot;
  let index = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (index >= keys.length || key !== keys[index]) return false;
    if (!sameData((value as Record<string, unknown>)[key], values[index]!, depth + 1)) return false;
    index++;
  }
  return index === keys.length;
}
