/**
 * The `$id` of every exported JSON Schema, and so the `dataschema` of every CloudEvent. URNs, not URLs: the schemas
 * ship with the package (`convotic schema --out DIR`), nothing is fetched from a host we would have to keep up.
 */
export const SCHEMA_ID_PREFIX = "urn:convotic:schema:";

/** `urn:convotic:schema:<name>` for an event type, `envelope` (the union) or `thread.<name>`. */
export function schemaId(name: string): string {
  return SCHEMA_ID_PREFIX + name;
}
