import type { EventData, EventType } from "./catalogue";
import { envelopeSchemas, type EventMetadata, type EventOf } from "./envelope";
import { EventValidationError, messageOf } from "./errors";
// the engine's modules by name, not its barrel: the barrel's re-exports are accessors on an object V8 keeps in
// dictionary mode, and every call through one is a slow property load (about 300 instructions)
import { eventId } from "./engine/ids";
import { normalizeTimestamp } from "./engine/time";
import { describeIssues } from "./issues";

export interface CreateEventInput<T extends EventType> {
  readonly workspace_id: string;
  readonly block_id: string;
  readonly platform: string;
  /**
   * A stable key for this occurrence (e.g. `conversation-42:closed`): it becomes `raw_platform_event_id` and,
   * with the type, the deterministic event id, so emitting the same fact twice gives the same id.
   */
  readonly key: string;
  /** when it happened; defaults to now */
  readonly timestamp?: Date | string | number;
  readonly data: EventData<T>;
  readonly metadata?: Omit<EventMetadata, "raw_platform_event_id">;
}

/**
 * Builds an application event (conversation closed, deal created, workflow paused, draft created…) as the same
 * envelope the adapters emit, validated by the same catalogue schema. Throws `EventValidationError`.
 */
export function createEvent<T extends EventType>(type: T, input: CreateEventInput<T>): EventOf<T> {
  if (input.key === "") throw new EventValidationError(type, "key must be a non-empty string");
  let timestamp: string;
  try {
    timestamp = normalizeTimestamp(input.timestamp ?? new Date());
  } catch (cause) {
    throw new EventValidationError(type, messageOf(cause));
  }
  const candidate = {
    id: eventId(input.platform, input.block_id, input.key, type),
    type,
    workspace_id: input.workspace_id,
    block_id: input.block_id,
    platform: input.platform,
    timestamp,
    data: input.data,
    metadata: { ...input.metadata, raw_platform_event_id: input.key },
  };
  const checked = envelopeSchemas[type].safeParse(candidate);
  if (!checked.success) throw new EventValidationError(type, describeIssues(checked.error));
  return checked.data;
}
