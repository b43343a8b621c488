import { z } from "zod";
import { catalogue, EVENT_TYPES, type EventData, type EventType } from "./catalogue";
// the engine's modules by name, not its barrel: the barrel also holds the result and secrets machinery, which read
// the envelope types (a circle through index.ts)
import { compileParse } from "./engine/parse";
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

function buildEnvelopeSchema<T extends EventType>(type: T): z.ZodType<EventOf<T>> {
  // Keys in the contract's order, which is also the order of the JSON we emit. The cast only names the inferred
  // shape: the object is built from the catalogue's own data schema.
  return z
    .strictObject({
      id: EventId,
      type: z.literal(type),
      workspace_id: z.string().min(1),
      block_id: z.string().min(1),
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
