// Output formats: pure projections of the envelope (no I/O), used by the sinks and `convotic replay --format`. The
// documentation generators built on them (JSON Schema, AsyncAPI, examples) live in src/docs/.
export {
  CLOUDEVENTS_CONTENT_TYPE,
  CloudEventError,
  cloudEventSource,
  fromCloudEvent,
  METADATA_EXTENSIONS,
  toCloudEvent,
} from "./cloudevents";
export type { CloudEventJson } from "./cloudevents";
export { deliveryId } from "./delivery-id";
export { SCHEMA_ID_PREFIX, schemaId } from "./schema-ids";
export {
  THREAD_EVENT_NAMES,
  THREAD_EVENTS,
  threadDataSchemas,
  threadEventNameOf,
  ThreadEventSchema,
  threadSchemas,
  toThreadEvent,
} from "./thread";
export type { ThreadEvent, ThreadEventName, ThreadEventOf } from "./thread";
