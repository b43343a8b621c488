import type { DriftCatalogue, DriftRecord, DriftValue, DriftValueKind } from "../drift";
import { addCatalogue, emptyNode, finish, join, numberedMember, type DriftNode } from "./drift-tree";

/*
 * Drift detection, the hot path's part: the catalogue is compiled once per adapter into a trie (drift-tree.ts),
 * then each body is walked against it. Per object the check is one map lookup per key (the "key-set check"); only
 * what is not known costs more (a record). Nothing here throws on a body: drift never fails an item.
 */

/** Distinct paths one body may report; past it the rest of that body's drift is not recorded (a flood is one bound). */
export const MAX_DRIFT_PER_BODY = 32;
const MAX_KEY = 64;
const MAX_PATH = 256;
const MAX_EXAMPLE = 64;

/** What the walk found, before the pipeline stamps it with platform and block. */
export type FoundDrift = Omit<DriftRecord, "platform" | "workspace_id" | "block_id">;

/** The checker of one catalogue: the drift of a parsed body, or `undefined` when there is none (the usual case). */
export type DriftDetector = (body: unknown) => FoundDrift[] | undefined;

/** Compiles a catalogue; a malformed declaration is a `ConfigError` here, at the first body, never per body. */
export function compileDrift(catalogue: DriftCatalogue): DriftDetector {
  const root = emptyNode();
  addCatalogue(root, catalogue);
  finish(root);
  return (body) => {
    if (root.open || body === null || typeof body !== "object") return undefined;
    return walk(body, root, undefined)?.records;
  };
}

const compiled = new WeakMap<DriftCatalogue, DriftDetector>();

/** The detector of a catalogue, compiled at its first use and kept as long as the catalogue object lives. */
export function driftDetector(catalogue: DriftCatalogue): DriftDetector {
  let detector = compiled.get(catalogue);
  if (detector === undefined) compiled.set(catalogue, (detector = compileDrift(catalogue)));
  return detector;
}

/** What one body's walk found; made only when something is (most bodies have nothing new). */
class Found {
  readonly records: FoundDrift[] = [];
  private readonly bySlot = new Map<string, FoundDrift>();

  add(at: string, key: string | undefined, change: "field" | "value", value: unknown): void {
    let path = key === undefined ? at : join(at, safeKey(key));
    if (path.length > MAX_PATH) path = `${path.slice(0, MAX_PATH - 1)}…`;
    const slot = `${change}:${path}`;
    const seen = this.bySlot.get(slot);
    if (seen !== undefined) {
      seen.count += 1;
      return;
    }
    if (this.records.length >= MAX_DRIFT_PER_BODY) return;
    const made: FoundDrift = { path, change, value_kind: kindOf(value), example: exampleOf(value), count: 1 };
    this.records.push(made);
    this.bySlot.set(slot, made);
  }
}

/**
 * Walks one value against its node: per object one map lookup per key, per array its items. Each node knows its
 * own path (drift-tree.ts `finish`), so nothing is built on the way; a record's path is made only when one is.
 */
function walk(value: object, node: DriftNode, found: Found | undefined): Found | undefined {
  if (Array.isArray(value)) {
    const items = node.items;
    if (items === undefined || items.open) return found;
    for (const item of value as unknown[]) {
      if (item !== null && typeof item === "object") found = walk(item, items, found);
      else if (items.values !== undefined && item !== null && !items.values.has(item as DriftValue))
        (found ??= new Found()).add(items.path, undefined, "value", item);
    }
    return found;
  }
  let shape = node;
  const variant = node.variant;
  if (variant !== undefined) {
    const chosen = (value as Record<string, unknown>)[variant.by];
    // no kind named: only the members every kind shares are known
    if (chosen !== undefined) {
      const known = typeof chosen === "string" ? variant.cases.get(chosen) : undefined;
      if (known === undefined) {
        // a kind the adapter does not know: its members are not compared with another kind's
        (found ??= new Found()).add(node.path, variant.by, "value", chosen);
        return found;
      }
      shape = known;
    }
  }
  // the keys of the last fully known object here, compared in order (JSON's keys are internalised strings: a
  // pointer comparison); the lookup runs from the first key that differs, and only then
  const lastKeys = shape.lastKeys;
  const lastChildren = shape.lastChildren;
  let same = lastKeys !== undefined;
  let known = true;
  let position = 0;
  for (const key in value) {
    let child: DriftNode | undefined;
    if (same && position < lastKeys!.length && lastKeys![position] === key) child = lastChildren![position];
    else {
      same = false;
      child = lookUp(shape, key);
    }
    position++;
    const member = (value as Record<string, unknown>)[key];
    if (child === undefined) {
      known = false;
      (found ??= new Found()).add(shape.path, key, "field", member);
    } else if (member !== null && typeof member === "object") {
      if (!child.open) found = walk(member, child, found);
    } else if (child.values !== undefined && member !== null && !child.values.has(member as DriftValue)) {
      (found ??= new Found()).add(child.path, undefined, "value", member);
    }
  }
  if (
    !(same && position === lastKeys!.length) &&
    known &&
    position <= MAX_LEARNED_KEYS &&
    shape.relearned < MAX_RELEARNED
  )
    learn(shape, value);
  return found;
}

/** Past this many changes of shape, a node compares no keys in order (its objects vary: the lookup it is). */
const MAX_RELEARNED = 16;
/** A bigger object (a map of ids, say) is not remembered: the catalogue outlives the body and would keep its keys. */
const MAX_LEARNED_KEYS = 64;

function lookUp(shape: DriftNode, key: string): DriftNode | undefined {
  return shape.keys?.get(key) ?? numberedMember(shape, key) ?? shape.any;
}

/** Remembers the keys of an object whose every key is known, with their nodes, for the next object here. */
function learn(shape: DriftNode, value: object): void {
  const keys = Object.keys(value);
  shape.lastKeys = keys;
  shape.lastChildren = keys.map((key) => lookUp(shape, key)!);
  shape.relearned++;
}

function safeKey(key: string): string {
  const short = key.length > MAX_KEY ? `${key.slice(0, MAX_KEY - 1)}…` : key;
  // JSON's escapes without the quotes: a key is shown, never interpreted
  return /^[\w$@:/#+-]*$/.test(short) && short !== "" ? short : JSON.stringify(short).slice(1, -1) || '""';
}

function kindOf(value: unknown): DriftValueKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const kind = typeof value;
  return kind === "string" || kind === "number" || kind === "boolean" || kind === "object" ? kind : "null";
}

/**
 * A short, safe sample: a string's first characters, a number or boolean as it is, an object's first keys and an
 * array's length, so a new field carrying a whole message or a personal record is not copied into logs.
 */
function exampleOf(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > MAX_EXAMPLE - 8 ? `${value.slice(0, MAX_EXAMPLE - 9)}…` : value);
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? "" : "s"}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    const shown = keys.slice(0, 4).map((key) => JSON.stringify(key.slice(0, 16)));
    const text = `{${shown.join(", ")}${keys.length > 4 ? ", …" : ""}}`;
    return text.length > MAX_EXAMPLE ? `${text.slice(0, MAX_EXAMPLE - 2)}…}` : text;
  }
  return String(value).slice(0, MAX_EXAMPLE);
}
