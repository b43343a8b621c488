import type { DriftCatalogue, DriftSchemaExtras, DriftValue } from "../drift";
import { ConfigError } from "../errors";
import { defOf, type Def } from "./zod-def";

/**
 * The trie a drift catalogue compiles to, built once per adapter: each node is what one path of a body may hold.
 * `keys` are the members of an object, `any` the value of every key of a map, `items` an array's items, `values`
 * the known values of an enumerated field, `variant` the cases of an object chosen by one of its keys.
 */
export interface DriftNode {
  keys: Map<string, DriftNode> | undefined;
  /** numbered members (`MediaUrl{N}`: `MediaUrl0`, `MediaUrl1`, …), by the name before the number */
  numbered: Map<string, DriftNode> | undefined;
  any: DriftNode | undefined;
  items: DriftNode | undefined;
  values: Set<DriftValue> | undefined;
  variant: { readonly by: string; readonly cases: Map<string, DriftNode> } | undefined;
  /** `**` declared here: nothing below is drift */
  ignoredBelow: boolean;
  /** a schema said `unknown` here: open unless another schema or path says what it holds */
  unspecified: boolean;
  /** computed by `finish`: nothing below this node is checked */
  open: boolean;
  /** computed by `finish`: the node's path in a body (`entry[].changes[].value`), `*` for a map's keys */
  path: string;
  /** the keys, in order, of the last object here whose every key was known, and the node of each (drift.ts `walk`) */
  lastKeys: string[] | undefined;
  lastChildren: DriftNode[] | undefined;
  /** how often `lastKeys` was replaced: a node whose objects keep changing shape stops remembering */
  relearned: number;
}

export function emptyNode(): DriftNode {
  return {
    keys: undefined,
    numbered: undefined,
    any: undefined,
    items: undefined,
    values: undefined,
    variant: undefined,
    ignoredBelow: false,
    unspecified: false,
    open: false,
    path: "",
    lastKeys: undefined,
    lastChildren: undefined,
    relearned: 0,
  };
}

function keyChild(node: DriftNode, key: string): DriftNode {
  node.keys ??= new Map();
  let child = node.keys.get(key);
  if (child === undefined) node.keys.set(key, (child = emptyNode()));
  return child;
}

/** The suffix of a numbered member in a declared path: `MediaUrl{N}` is `MediaUrl` and a decimal number. */
export const NUMBERED = "{N}";

function numberedChild(node: DriftNode, prefix: string): DriftNode {
  node.numbered ??= new Map();
  let child = node.numbered.get(prefix);
  if (child === undefined) node.numbered.set(prefix, (child = emptyNode()));
  return child;
}

/**
 * The member a key is under when it is a numbered one (`MediaUrl12` under `MediaUrl{N}`): the name with its
 * trailing digits cut. Reached only for a key the node does not name, so a known key costs nothing more.
 */
export function numberedMember(node: DriftNode, key: string): DriftNode | undefined {
  const numbered = node.numbered;
  if (numbered === undefined) return undefined;
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) >= 0x30 && key.charCodeAt(end - 1) <= 0x39) end--;
  // digits only after a name, and no leading zero but the number 0 itself (`MediaUrl01` is not Twilio's)
  if (end === key.length || end === 0 || (key.charCodeAt(end) === 0x30 && end < key.length - 1)) return undefined;
  return numbered.get(key.slice(0, end));
}

/**
 * The node at a declared path, made on the way: `a.b[].c`, `*` for any key, `**` for everything below (returned
 * node marked), `name{N}` for the numbered members `name0`, `name1`, …. Keys are plain names: documented field
 * names have no dots or brackets.
 */
function nodeAt(root: DriftNode, path: string): DriftNode {
  let node = root;
  if (path === "") return node;
  for (const part of path.split(".")) {
    const match = /^([^[\]]*)((?:\[\])*)$/.exec(part);
    if (match === null || (match[1] === "" && match[2] === ""))
      throw new ConfigError(`drift catalogue: bad path "${path}"`);
    const name = match[1]!;
    if (name === "**") {
      node.ignoredBelow = true;
      return node;
    }
    if (name === "*") node = node.any ??= emptyNode();
    else if (name.endsWith(NUMBERED) && name.length > NUMBERED.length)
      node = numberedChild(node, name.slice(0, -NUMBERED.length));
    else if (name !== "") node = keyChild(node, name);
    for (let depth = match[2]!.length / 2; depth > 0; depth--) node = node.items ??= emptyNode();
  }
  return node;
}

const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "catch", "readonly", "nonoptional"]);

/** A catalogue's `bySchema` extras, by schema object. */
type Extras = ReadonlyMap<unknown, readonly DriftSchemaExtras[]>;

/** Adds what a zod schema declares at `node`: walks zod's own definition (`defOf`, as the compiled parsers do). */
function addSchema(node: DriftNode, schema: unknown, depth: number, extras: Extras): void {
  // a recursive (lazy) schema is walked a bounded number of levels: deeper bodies are checked against those
  if (depth > 32) return;
  for (const more of extras.get(schema) ?? []) addPaths(node, more);
  const def: Def = defOf(schema);
  const walk = (at: DriftNode, inner: unknown) => addSchema(at, inner, depth + 1, extras);
  if (WRAPPERS.has(def.type)) return walk(node, def["innerType"]);
  switch (def.type) {
    case "object": {
      const shape = def["shape"] as Record<string, unknown>;
      for (const key of Object.keys(shape)) walk(keyChild(node, key), shape[key]);
      return;
    }
    case "array":
      return walk((node.items ??= emptyNode()), def["element"]);
    case "tuple":
      for (const item of def["items"] as unknown[]) walk((node.items ??= emptyNode()), item);
      if (def["rest"] != null) walk((node.items ??= emptyNode()), def["rest"]);
      return;
    case "record":
      return walk((node.any ??= emptyNode()), def["valueType"]);
    case "union":
      for (const option of def["options"] as unknown[]) walk(node, option);
      return;
    case "intersection":
      walk(node, def["left"]);
      return walk(node, def["right"]);
    case "pipe":
      walk(node, def["in"]);
      return walk(node, def["out"]);
    case "lazy":
      return walk(node, (def["getter"] as () => unknown)());
    case "literal":
      return addValues(node, def["values"] as readonly unknown[]);
    case "enum":
      return addValues(node, Object.values(def["entries"] as Record<string, unknown>));
    case "unknown":
    case "any":
      node.unspecified = true;
      return;
    default:
    // a primitive, or a transform: what it holds is a value, not members
  }
}

function addValues(node: DriftNode, values: readonly unknown[]): void {
  node.values ??= new Set();
  for (const value of values) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") node.values.add(value);
  }
}

/** A catalogue's ignored paths and values at `node`. */
function addPaths(node: DriftNode, catalogue: Pick<DriftCatalogue, "ignored" | "values">): void {
  for (const path of catalogue.ignored ?? []) nodeAt(node, path);
  for (const [path, values] of Object.entries(catalogue.values ?? {})) addValues(nodeAt(node, path), values);
}

/**
 * Adds one catalogue at `node`; variants are kept apart until `finish` merges their object's own members in. The
 * `bySchema` extras of enclosing catalogues apply inside this one too.
 */
export function addCatalogue(node: DriftNode, catalogue: DriftCatalogue, outer: Extras = new Map()): void {
  const extras = new Map(outer);
  for (const extra of catalogue.bySchema ?? []) extras.set(extra.schema, [...(extras.get(extra.schema) ?? []), extra]);
  for (const { at, schema } of catalogue.schemas ?? []) addSchema(nodeAt(node, at), schema, 0, extras);
  addPaths(node, catalogue);
  for (const { at, by, cases } of catalogue.variants ?? []) {
    const target = nodeAt(node, at);
    const variant = (target.variant ??= { by, cases: new Map() });
    if (variant.by !== by)
      throw new ConfigError(`drift catalogue: "${at}" has variants by "${variant.by}" and "${by}"`);
    for (const [name, declared] of Object.entries(cases)) {
      let made = variant.cases.get(name);
      if (made === undefined) variant.cases.set(name, (made = emptyNode()));
      // the key that chose the case is one of its members
      keyChild(made, by);
      addCatalogue(made, declared, extras);
    }
  }
}

/** `into` gains everything `from` knows (deeply); used to give each variant case its object's shared members. */
function merge(into: DriftNode, from: DriftNode): void {
  for (const [key, child] of from.keys ?? []) merge(keyChild(into, key), child);
  for (const [prefix, child] of from.numbered ?? []) merge(numberedChild(into, prefix), child);
  if (from.any !== undefined) merge((into.any ??= emptyNode()), from.any);
  if (from.items !== undefined) merge((into.items ??= emptyNode()), from.items);
  if (from.values !== undefined) addValues(into, [...from.values]);
  into.ignoredBelow ||= from.ignoredBelow;
  into.unspecified ||= from.unspecified;
}

/**
 * Settles the trie once everything is added: each variant case holds its object's shared members, and a node is
 * open when `**` was declared there, or when a schema said `unknown` and nothing says what it holds.
 */
export function finish(node: DriftNode, path = ""): void {
  node.path = path;
  if (node.variant !== undefined) {
    const shared: DriftNode = { ...node, variant: undefined };
    for (const made of node.variant.cases.values()) merge(made, shared);
    for (const made of node.variant.cases.values()) finish(made, path);
  }
  node.open =
    node.ignoredBelow ||
    (node.unspecified &&
      node.keys === undefined &&
      node.numbered === undefined &&
      node.any === undefined &&
      node.items === undefined &&
      node.variant === undefined);
  for (const [key, child] of node.keys ?? []) finish(child, join(path, key));
  for (const [prefix, child] of node.numbered ?? []) finish(child, join(path, prefix + NUMBERED));
  if (node.any !== undefined) finish(node.any, join(path, "*"));
  if (node.items !== undefined) finish(node.items, `${path}[]`);
}

/** A path and one more key: `a.b`, or `b` at the top. */
export function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}
