import { z } from "zod";
import { catalogue, EVENT_TYPES, type EventData, type EventType } from "./catalogue";
// the engine's modules by name, not its barrel: the barrel also holds the result and secrets machinery, which read
// the envelope types (a circle through index.ts)
import { compileParse } from "./engine/parse";
import { isLastNowIso } from "./engine/time";
import { REJECTED } from "./engine/zod-def";
import type { DriftRecord } from "./drift";
import { EventId, IsoTimestamp, Metadata } from "./schemas";

export const PlatformName = z.string().regex(/^[a-z][a-z0-9_-]*$/, "a lower-case platform name");

export type EventMetadata = z.output<typeof Metadata>;

/** The envelope of one event type. */
export interface EventOf<T extends EventType> {
  id: string;
  type: T;
  workspace_id: string;
  block_id: string;
  platform: string;
  timestamp: string;
  data: EventData<T>;
  metadata: EventMetadata;
}

/** Every envelope we emit: a union discriminated by `type`. */
export type UnifiedEvent = { [T in EventType]: EventOf<T> }[EventType];

const WorkspaceId = z.string().min(1);
const BlockId = z.string().min(1);

function buildEnvelopeSchema<T extends EventType>(type: T): z.ZodType<EventOf<T>> {
  // Keys in the contract's order, which is also the order of the JSON we emit. The cast only names the inferred
  // shape: the object is built from the catalogue's own data schema.
  return z
    .strictObject({
      id: EventId,
      type: z.literal(type),
      workspace_id: WorkspaceId,
      block_id: BlockId,
      platform: PlatformName,
      timestamp: IsoTimestamp,
      data: catalogue[type].data,
      metadata: Metadata,
    })
    .meta({ title: type, description: catalogue[type].description }) as unknown as z.ZodType<EventOf<T>>;
}

/** One strict envelope schema per event type, derived from the catalogue. */
export const envelopeSchemas = Object.fromEntries(EVENT_TYPES.map((type) => [type, buildEnvelopeSchema(type)])) as {
  [T in EventType]: z.ZodType<EventOf<T>>;
};

const envelopeParsers = new Map(EVENT_TYPES.map((type) => [type, compileParse(envelopeSchemas[type])] as const));

/**
 * Validates an envelope against its type's schema. The parser compiled from that schema (core/engine/)
 * answers first, with what zod would return; only when it rejects the envelope does zod run, so zod still
 * decides every rejection and words every error.
 */
export function validateEnvelope<T extends EventType>(
  type: T,
  envelope: unknown,
): { success: true; data: EventOf<T> } | { success: false; error: z.ZodError } {
  const parse = envelopeParsers.get(type);
  const parsed = parse === undefined ? REJECTED : parse(envelope);
  if (parsed !== REJECTED) return { success: true, data: parsed as EventOf<T> };
  const checked = envelopeSchemas[type].safeParse(envelope);
  return checked.success ? { success: true, data: checked.data } : { success: false, error: checked.error };
}

/**
 * What a builder takes from its context for every envelope, as the envelope schemas check it: checked once per
 * context (see `EnvelopeBuilder`), not once per envelope.
 */
const EnvelopeContext = z.strictObject({
  workspace_id: WorkspaceId,
  block_id: BlockId,
  platform: PlatformName,
  received_at: IsoTimestamp,
});
const envelopeContextParser = compileParse(EnvelopeContext);

// the last context found valid: a block's requests share workspace, block and platform
let validWorkspace: string | undefined;
let validBlock: string | undefined;
let validPlatform: string | undefined;
let validReceivedAt: string | undefined;

/**
 * Whether a builder's platform and context make valid envelope fields (workspace, block, platform, receive time).
 * Answered from the last context found valid; a receive time `nowIso` gave is valid as it was formatted.
 */
export function isEnvelopeContext(
  platform: string,
  // a builder's `NormalizeContext`, named by its fields (adapter.ts imports this module)
  context: { readonly workspace_id: string; readonly block_id: string; readonly received_at: string },
): boolean {
  const { workspace_id, block_id, received_at } = context;
  if (
    validPlatform !== undefined &&
    workspace_id === validWorkspace &&
    block_id === validBlock &&
    platform === validPlatform &&
    (isLastNowIso(received_at) || received_at === validReceivedAt)
  )
    return true;
  const fields = { workspace_id, block_id, platform, received_at };
  const parsed = envelopeContextParser === undefined ? REJECTED : envelopeContextParser(fields);
  if (parsed === REJECTED && !EnvelopeContext.safeParse(fields).success) return false;
  validWorkspace = workspace_id;
  validBlock = block_id;
  validPlatform = platform;
  validReceivedAt = received_at;
  return true;
}

/** The parts of an envelope its builder does not make: the data of each type, and the metadata. */
const dataParsers = new Map(EVENT_TYPES.map((type) => [type, compileParse(catalogue[type].data)] as const));
const metadataParser = compileParse(Metadata);

/**
 * `validateEnvelope` for an envelope whose id (derived), type, timestamp (a platform time the engine formatted,
 * or the receive time) and workspace, block and platform (checked with `isEnvelopeContext`) its builder made:
 * only what the adapter gave, the data and the metadata, is parsed. When both pass, the envelope is completed in
 * place: its data and metadata are replaced by the parsed copies, which makes it what `validateEnvelope` returns
 * (the same keys in the same order, the same values), and `true` is returned. Otherwise it is left untouched and
 * `false` is returned: the caller asks `validateEnvelope`, so the answer and every error are the same. Only for
 * an envelope its caller has just made and owns (the builder's): no copy of it and no result object is allocated.
 */
export function completeBuiltEnvelope<T extends EventType>(type: T, envelope: EventOf<T>): boolean {
  const parseData = dataParsers.get(type);
  if (parseData === undefined || metadataParser === undefined) return false;
  const data = parseData(envelope.data);
  if (data === REJECTED) return false;
  const metadata = metadataParser(envelope.metadata);
  if (metadata === REJECTED) return false;
  envelope.data = data as EventOf<T>["data"];
  envelope.metadata = metadata as EventMetadata;
  return true;
}

/** The union of all envelopes, discriminated by `type`. */
export const UnifiedEventSchema = z.discriminatedUnion(
  "type",
  EVENT_TYPES.map((type) => envelopeSchemas[type]) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<UnifiedEvent>;

/**
 * A valid raw event we have no mapping for. It is reported, never dropped or thrown (docs/events.md), and is not a
 * member of the envelope union, so it cannot break narrowing.
 */
export interface UnhandledEvent {
  platform: string;
  workspace_id: string;
  block_id: string;
  /** the platform's own name for the kind, e.g. `poll`, `beacon`, `changes.app_roles` */
  kind: string;
  reason: string;
  raw_platform_event_id?: string;
  received_at: string;
  /** the raw platform event, untouched */
  raw: unknown;
}

export interface NormalizeResult {
  events: UnifiedEvent[];
  unhandled: UnhandledEvent[];
  /**
   * Fields and values of the body its platform's catalogue does not know (docs/drift.md): present only when there
   * are some, and never part of an event. The events and unhandled records are what they would be without it.
   */
  drift?: DriftRecord[];
}
