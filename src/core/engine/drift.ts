import type { DriftCatalogue, DriftRecord, DriftValue, DriftValueKind } from "../drift";
import { addCatalogue, emptyNode, finish, type DriftNode } from "./drift-tree";

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
    const found = new Walk();
    found.node(body, root);
    return found.records;
  };
}

const compiled = new WeakMap<DriftCatalogue, DriftDetector>();

/** The detector of a catalogue, compiled at its first use and kept as long as the catalogue object lives. */
export function driftDetector(catalogue: DriftCatalogue): DriftDetector {
  let detector = compiled.get(catalogue);
  if (detector === undefined) compiled.set(catalogue, (detector = compileDrift(catalogue)));
  return detector;
}

class Walk {
  records: FoundDrift[] | undefined;
  private byPath: Map<string, FoundDrift> | undefined;
  /** the path so far: keys, and `[]` for array items; joined only when something is recorded */
  private readonly path: string[] = [];

  node(value: unknown, node: DriftNode): void {
    if (node.open || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      const items = node.items;
      if (items === undefined || items.open) return;
      this.path.push("[]");
      for (const item of value)
        if (item !== null && typeof item === "object") this.node(item, items);
        else this.leaf(item, items);
      this.path.pop();
      return;
    }
    let shape = node;
    const variant = node.variant;
    if (variant !== undefined) {
      const chosen = (value as Record<string, unknown>)[variant.by];
      const known = typeof chosen === "string" ? variant.cases.get(chosen) : undefined;
      if (chosen === undefined) {
        // no kind named: only the members every kind shares are known
      } else if (known === undefined) {
        // a kind the adapter does not know: its members are not compared with another kind's
        this.record(variant.by, "value", chosen);
        return;
      } else shape = known;
    }
    const keys = shape.keys;
    const any = shape.any;
    for (const key in value) {
      const child = keys?.get(key) ?? any;
      const member = (value as Record<string, unknown>)[key];
      if (child === undefined) this.record(key, "field", member);
      else if (member !== null && typeof member === "object") {
        this.path.push(key);
        this.node(member, child);
        this.path.pop();
      } else if (child.values !== undefined && member !== null && !child.values.has(member as DriftValue)) {
        this.record(key, "value", member);
      }
    }
  }

  /** An array item that is not an object: only its value can be new. */
  private leaf(item: unknown, node: DriftNode): void {
    if (node.values === undefined || item === null || node.values.has(item as DriftValue)) return;
    this.path.push("[]");
    this.record(undefined, "value", item);
    this.path.pop();
  }

  private record(key: string | undefined, change: "field" | "value", value: unknown): void {
    const path = pathText(this.path, key);
    const slot = `${change}:${path}`;
    const seen = this.byPath?.get(slot);
    if (seen !== undefined) {
      seen.count += 1;
      return;
    }
    this.records ??= [];
    if (this.records.length >= MAX_DRIFT_PER_BODY) return;
    const made: FoundDrift = { path, change, value_kind: kindOf(value), example: exampleOf(value), count: 1 };
    this.records.push(made);
    (this.byPath ??= new Map()).set(slot, made);
  }
}

/** `entry[].changes[].value.x`, keys shortened and control characters escaped: a path is a label and a log field. */
function pathText(parts: readonly string[], last: string | undefined): string {
  let text = "";
  const add = (part: string) => {
    if (part === "[]") text += "[]";
    else text += (text === "" ? "" : ".") + safeKey(part);
  };
  for (const part of parts) add(part);
  if (last !== undefined) add(last);
  return text.length > MAX_PATH ? `${text.slice(0, MAX_PATH - 1)}…` : text;
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
