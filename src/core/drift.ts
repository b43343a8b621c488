import type { z } from "zod";

/*
 * Drift: what a platform started sending that its adapter's catalogue does not know, a new field or a new value
 * of an enumerated one. Platforms add both without notice (a wrapper field, a new `type`); reported beside the
 * events before it breaks anything, never failing the item that carries it (docs/drift.md).
 */

/** A value an enumerated field may hold. */
export type DriftValue = string | number | boolean;

/**
 * What one adapter knows of its platform's bodies, declared as data in the adapter's folder and compiled once in
 * the engine room. Paths are relative to where the catalogue is mounted (the body itself for the adapter's own),
 * dotted, `[]` for an array's items (`entry[].changes[]`), `*` for any key of a map, `**` for "anything below",
 * `name{N}` for numbered members (`MediaUrl{N}`: Twilio's `MediaUrl0`, `MediaUrl1`, …; one path in reports).
 */
export interface DriftCatalogue {
  /**
   * zod schemas mounted at a path (`""` for here): every key their objects declare is known, and their literals
   * and enums are known values. The raw schemas the adapter already parses with: the catalogue is derived from
   * them, not written beside them.
   */
  readonly schemas?: readonly { readonly at: string; readonly schema: z.ZodType }[];
  /** documented fields the adapter does not read, ignored on purpose (`"message.rich_media.**"` for a subtree) */
  readonly ignored?: readonly string[];
  /** the documented values of enumerated fields (`type`, `status`, `event`, …), by path */
  readonly values?: Readonly<Record<string, readonly DriftValue[]>>;
  /**
   * objects whose members depend on one of their keys (a Meta `changes[]` item on its `field`): each case is a
   * catalogue of that object. A value of `by` no case names is drift, and the object is not checked further.
   */
  readonly variants?: readonly DriftVariants[];
  /**
   * more of a schema used in several places (a Telegram `Chat`, a Meta attachment): its fields ignored on purpose
   * and its values, applied wherever a mounted schema holds it; paths relative to the schema
   */
  readonly bySchema?: readonly DriftSchemaExtras[];
}

/** More of one schema object, wherever a mounted schema holds it. */
export interface DriftSchemaExtras {
  /** the very schema object (identity, not shape) */
  readonly schema: z.ZodType;
  /** documented fields the adapter does not read, relative to the schema */
  readonly ignored?: readonly string[];
  /** the documented values of its enumerated fields, relative to the schema */
  readonly values?: Readonly<Record<string, readonly DriftValue[]>>;
}

/** The cases of the objects at `at`, chosen by the value of their key `by`. */
export interface DriftVariants {
  /** where the objects are (`entry[].changes[]`) */
  readonly at: string;
  /** the key whose value names the case (`field`) */
  readonly by: string;
  /** each case's catalogue, paths relative to the object (`value.messages[]`) */
  readonly cases: Readonly<Record<string, DriftCatalogue>>;
}

/** Types a catalogue where it is declared (an identity, like `defineAdapter`). */
export function defineDriftCatalogue(catalogue: DriftCatalogue): DriftCatalogue {
  return catalogue;
}

/** What kind of JSON value a drift record saw. */
export type DriftValueKind = "string" | "number" | "boolean" | "null" | "object" | "array";

/**
 * One path of a body its platform's catalogue does not know: a new field (`change: "field"`, the path names it)
 * or a new value of an enumerated field (`change: "value"`). One record per path and change in a body, with how
 * often it occurred there. The item that carried it is normalised as usual.
 */
export interface DriftRecord {
  /** the platform that sent the body */
  platform: string;
  /** the block whose body it was (its workspace below) */
  workspace_id: string;
  block_id: string;
  /** array indexes as `[]`, a map's keys as `*`: `entry[].changes[].value.messages[].new_field` */
  path: string;
  /** `field`: the path names a field the catalogue does not know; `value`: a known field held an unknown value */
  change: "field" | "value";
  /** the JSON kind of what was seen there */
  value_kind: DriftValueKind;
  /** the first value seen, shortened (at most 64 characters of a string, an object's first keys only) */
  example: string;
  /** occurrences in this body */
  count: number;
}
