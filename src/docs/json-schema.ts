import { z } from "zod";
import { envelopeSchemas, EVENT_TYPES, UnifiedEventSchema } from "../core";
import { schemaId } from "../formats/schema-ids";
import { THREAD_EVENT_NAMES, ThreadEventSchema, threadSchemas } from "../formats/thread";

export type JsonSchema = Record<string, unknown>;
export type SchemaDialect = "draft-2020-12" | "draft-7";

export interface NamedSchema {
  /** the file name without `.json`, and the last part of the `$id` */
  readonly name: string;
  readonly schema: JsonSchema;
}

function exported(name: string, schema: z.ZodType, target: SchemaDialect): NamedSchema {
  const json = z.toJSONSchema(schema, { target, io: "output" }) as JsonSchema;
  const { $schema, ...rest } = json;
  return { name, schema: { $schema, $id: schemaId(name), ...rest } };
}

/**
 * Every contract as JSON Schema, all derived from the catalogue: one per envelope type, the envelope union
 * (`envelope`), one per thread-style event (`thread.<name>`) and their union (`thread`). 2020-12 by default;
 * draft-07 for AsyncAPI 3.0, whose mandatory schema formats stop there.
 */
export function exportedSchemas(target: SchemaDialect = "draft-2020-12"): NamedSchema[] {
  return [
    ...EVENT_TYPES.map((type) => exported(type, envelopeSchemas[type], target)),
    exported("envelope", UnifiedEventSchema, target),
    ...THREAD_EVENT_NAMES.map((name) => exported(`thread.${name}`, threadSchemas[name], target)),
    exported("thread", ThreadEventSchema, target),
  ];
}
