import { z } from "zod";
import {
  ConvoticError,
  describeIssues,
  isEventType,
  schemas,
  UnifiedEventSchema,
  type EventMetadata,
  type UnifiedEvent,
} from "../core";
import { schemaId } from "./schema-ids";

/*
 * CloudEvents 1.0, JSON format, structured mode (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md).
 * Mapping: `id` = envelope id; `source` = /convotic/<workspace>/<block>; `type` = envelope type, unchanged, so
 * filters read the same everywhere; `time` = when the event occurred; `subject` = the conversation id (absent
 * when the event has none); `data` = envelope `data`; `platform` and every `metadata` member are extension
 * attributes, named as the member without underscores (`platform_thread_id` → `platformthreadid`), because
 * CloudEvents attribute names are lower-case letters and digits only. Nothing is dropped: `fromCloudEvent` gives
 * the envelope back.
 */

export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

const METADATA_KEYS = Object.keys(schemas.Metadata.shape) as (keyof EventMetadata)[];
const extensionName = (key: string) => key.replaceAll("_", "");

/** The extension attribute each metadata member travels as. */
export const METADATA_EXTENSIONS = Object.fromEntries(METADATA_KEYS.map((key) => [key, extensionName(key)])) as Record<
  keyof EventMetadata,
  string
>;

export interface CloudEventJson {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  datacontenttype: "application/json";
  dataschema: string;
  platform: string;
  data: Record<string, unknown>;
  [extension: string]: unknown;
}

/** The CloudEvents `source` of a block: `/convotic/<workspace>/<block>`, each part URI-encoded. */
export function cloudEventSource(workspaceId: string, blockId: string): string {
  return `/convotic/${encodeURIComponent(workspaceId)}/${encodeURIComponent(blockId)}`;
}

export function toCloudEvent(event: UnifiedEvent): CloudEventJson {
  const data = event.data as Record<string, unknown>;
  const conversation = data["conversation_id"];
  const extensions: Record<string, string | boolean> = {};
  for (const key of METADATA_KEYS) {
    const value = event.metadata[key];
    if (value !== undefined) extensions[METADATA_EXTENSIONS[key]] = value;
  }
  return {
    specversion: "1.0",
    id: event.id,
    source: cloudEventSource(event.workspace_id, event.block_id),
    type: event.type,
    time: event.timestamp,
    ...(typeof conversation === "string" ? { subject: conversation } : {}),
    datacontenttype: "application/json",
    dataschema: `${schemaId(event.type)}#/properties/data`,
    platform: event.platform,
    ...extensions,
    data,
  };
}

/** A CloudEvent that is not one of ours, or carries an envelope the catalogue rejects. */
export class CloudEventError extends ConvoticError {
  override readonly name = "CloudEventError";
  constructor(message: string) {
    super(message, { code: "invalid_cloudevent", status: 400 });
  }
}

const SOURCE = /^\/convotic\/([^/]+)\/([^/]+)$/;

const Incoming = z.looseObject({
  specversion: z.literal("1.0"),
  id: z.string().min(1),
  source: z.string().regex(SOURCE, "expected /convotic/<workspace>/<block>"),
  type: z.string().refine(isEventType, "not a catalogue event type"),
  time: z.string(),
  platform: z.string(),
  datacontenttype: z
    .string()
    .regex(/^application\/json\b/i)
    .optional(),
  data: z.record(z.string(), z.unknown()),
});

/** Back from a structured-mode CloudEvent (parsed JSON) to the envelope it was made from; throws `CloudEventError`. */
export function fromCloudEvent(input: unknown): UnifiedEvent {
  const parsed = Incoming.safeParse(input);
  if (!parsed.success) throw new CloudEventError(`not a Convotic CloudEvent: ${describeIssues(parsed.error)}`);
  const cloudEvent = parsed.data;
  const [, workspace = "", block = ""] = SOURCE.exec(cloudEvent.source) ?? [];
  const metadata: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) {
    const value = cloudEvent[METADATA_EXTENSIONS[key]];
    if (value !== undefined && value !== null) metadata[key] = value;
  }
  const envelope = UnifiedEventSchema.safeParse({
    id: cloudEvent.id,
    type: cloudEvent.type,
    workspace_id: decodeURIComponent(workspace),
    block_id: decodeURIComponent(block),
    platform: cloudEvent.platform,
    timestamp: cloudEvent.time,
    data: cloudEvent.data,
    metadata,
  });
  if (!envelope.success)
    throw new CloudEventError(`${cloudEvent.type} CloudEvent ${cloudEvent.id}: ${describeIssues(envelope.error)}`);
  return envelope.data;
}
