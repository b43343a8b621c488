import type { z } from "zod";
import type { NormalizeContext } from "./adapter";
import type { EventData, EventType } from "./catalogue";
import {
  isEnvelopeContext,
  completeBuiltEnvelope,
  validateEnvelope,
  type EventMetadata,
  type EventOf,
  type NormalizeResult,
  type UnhandledEvent,
  type UnifiedEvent,
} from "./envelope";
import { EnvelopeError, messageOf } from "./errors";
// the engine's modules by name, not its barrel: the barrel's re-exports are accessors on an object V8 keeps in
// dictionary mode, and every call through one is a slow property load (about 300 instructions)
import { BuiltResult } from "./engine/built-result";
import { contactId, conversationId, eventId, messageId } from "./engine/ids";
import { parseCompiled, parseWith } from "./engine/parse";
import { REJECTED } from "./engine/zod-def";
import { normalizeTimestamp, platformTime } from "./engine/time";
import { describeIssues } from "./issues";
import { boundedRaw, withFields } from "./objects";

/** The metadata an adapter gives; the builder adds `received_at`, `timestamp_source` and `platform_timestamp`. */
export type MetadataInput = Omit<EventMetadata, "received_at" | "timestamp_source" | "platform_timestamp">;

export interface EventInput<T extends EventType> {
  /** the raw event's dedupe key; with the type it determines the event id */
  readonly key: string;
  /** platform time in any unit the platform uses; absent means "the payload has no time" */
  readonly timestamp?: number | string | undefined;
  readonly data: EventData<T>;
  readonly metadata: MetadataInput;
}

/** What every event made from one raw item shares: built once per item (the `ItemMapper` shape). */
export interface ItemBase {
  /** the platform's own name for what the item is, e.g. `message`, `statuses.read`, `changes.feed` */
  readonly kind: string;
  /** the raw item, reported untouched (bounded) when it has no mapping */
  readonly raw: unknown;
  readonly key: string;
  readonly timestamp?: number | string | undefined;
  readonly metadata: MetadataInput;
}

/** What `ItemMapper.emit` may override for one event of the item. */
export interface EmitExtra {
  readonly key?: string;
  readonly timestamp?: number | string | undefined;
  readonly metadata?: Partial<MetadataInput>;
}

export interface ItemOptions<R> {
  /** the platform's name for the item, readable before parsing (a fallback such as `event` when it is not) */
  readonly kind: string;
  /** the platform's own id of the item, where it can be read */
  readonly rawId?: string | undefined;
  /** the loose schema of one item; an item that does not match is reported and its neighbours go through */
  readonly schema?: z.ZodType<R>;
  /**
   * A pass over the raw item before `schema` (Telegram reads `null` fields as absent). Kept out of the schema
   * (a `z.preprocess` would not compile, so zod would parse every item); an item the schema refuses is still
   * reported as it came.
   */
  readonly prepare?: (raw: unknown) => unknown;
}

/**
 * A builder's events before the first: an empty array the first event replaces (`[event]`), so a payload of one
 * event allocates one array, not two. Frozen: it is never pushed to nor handed out.
 */
const NO_EVENTS: readonly UnifiedEvent[] = Object.freeze([]);

/**
 * `EnvelopeBuilder`'s private `add`, for `ItemMapper` (set in the builder's static block, which may call it): an
 * `event` whose input is given field by field.
 */
let addEvent: <T extends EventType>(
  builder: EnvelopeBuilder,
  type: T,
  key: string,
  timestamp: number | string | undefined,
  data: EventData<T>,
  metadata: MetadataInput,
) => EventOf<T>;

/**
 * The one shape every adapter maps a raw item with: key, time and metadata are built once, then each event is
 * `emit(type, data)`. An item with no mapping is `unhandled(reason)`, never dropped or thrown.
 */
export class ItemMapper {
  constructor(
    readonly b: EnvelopeBuilder,
    readonly base: ItemBase,
  ) {}

  emit<T extends EventType>(type: T, data: EventData<T>, extra?: EmitExtra): EventOf<T> {
    const base = this.base;
    // the builder's fields one by one: an `EventInput` object per event would be allocated only to be read
    if (extra === undefined) return addEvent(this.b, type, base.key, base.timestamp, data, base.metadata);
    return addEvent(
      this.b,
      type,
      extra.key ?? base.key,
      "timestamp" in extra ? extra.timestamp : base.timestamp,
      data,
      extra.metadata === undefined ? base.metadata : (withFields(base.metadata, extra.metadata) as MetadataInput),
    );
  }

  unhandled(reason?: string, kind: string = this.base.kind): void {
    this.b.unhandled(kind, this.base.raw, {
      raw_platform_event_id: this.base.metadata.raw_platform_event_id,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /** The same item with some of its base replaced (another key for a second kind of event, say). */
  with(base: Partial<ItemBase>): ItemMapper {
    return new ItemMapper(this.b, { ...this.base, ...base });
  }
}

/**
 * Builds envelopes for one payload. Collects what normalize produces so adapters return `builder.result()`.
 * Ids are derived: the same raw event gives the same ids on any machine. Every envelope is validated against the
 * catalogue as it is emitted, so a mapping that cannot represent an item fails inside that item's `item()` call
 * and costs only that item.
 */
export class EnvelopeBuilder {
  /** `NO_EVENTS` until the first event, which gets an array of its own size; `result()` never hands it out */
  private events: UnifiedEvent[] = NO_EVENTS as UnifiedEvent[];
  private unhandledEvents: UnhandledEvent[] = [];
  /** `result()` handed out the two arrays: the next change works on copies (copy on write) */
  private shared = false;
  /**
   * event id → index in `events`, to collapse exact repeats and re-key different events sharing a raw id. Made
   * when a second event comes: most payloads hold one, and one needs no map.
   */
  private seen: Map<string, number> | undefined;
  /**
   * What `events` holds as this builder emitted it: `events` is handed out by `result()`, this never is. The first
   * event alone is `firstEmitted`; the array is made when a second one comes (then it holds them all): an array's
   * first push allocates room for 16, which a payload of one event (most of them) never uses.
   */
  private firstEmitted: UnifiedEvent | undefined;
  private emittedEvents: UnifiedEvent[] | undefined;

  constructor(
    readonly platform: string,
    readonly context: NormalizeContext,
  ) {}

  contactId(platformUserId: string | number): string {
    return contactId(this.context.block_id, platformUserId);
  }

  conversationId(platformThreadId: string | number): string {
    return conversationId(this.context.block_id, platformThreadId);
  }

  messageId(platformMessageId: string | number): string {
    return messageId(this.context.block_id, platformMessageId);
  }

  /**
   * A platform time as ISO 8601 UTC with milliseconds, for time fields inside `data`. Throws
   * `InvalidTimestampError` for a value that is not a time between 1970 and 9999: inside `item()` that makes the
   * item unhandled with the reason.
   */
  timestamp(value: number | string): string {
    return normalizeTimestamp(value);
  }

  /**
   * `schema.safeParse(value)` for a part of an item read on its own (a Meta `changes[].value` by its field, a
   * WhatsApp contact): answered by the schema's compiled parser, with zod deciding every rejection and wording
   * its issues. The data may share plain objects with `value` (never mutate either). Prefer `item()`'s `schema`
   * for whole items.
   */
  parse<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
    return parseWith(schema, value);
  }

  /** The mapper of one raw item (see `ItemMapper`). */
  mapper(base: ItemBase): ItemMapper {
    return new ItemMapper(this, base);
  }

  /**
   * Maps one raw item in isolation. When the item does not match `schema`, when `map` throws (a shape the loose
   * schema let through, a time out of range inside `data`), or when an envelope it emits does not match the
   * catalogue, every event it emitted is taken back and the item is reported unhandled with the reason. The
   * items beside it are unaffected: an input can only cost the item it is in.
   */
  item<R>(raw: unknown, options: ItemOptions<R>, map: (item: R) => void): void {
    this.own();
    const events = this.events.length;
    const unhandled = this.unhandledEvents.length;
    let reason: string;
    if (options.schema !== undefined) {
      const value = options.prepare === undefined ? raw : options.prepare(raw);
      // the compiled parser's output, no result object; zod decides what it refuses
      let parsed = parseCompiled(options.schema, value);
      if (parsed === REJECTED) {
        const checked = options.schema.safeParse(value);
        if (!checked.success) {
          this.unhandled(options.kind, raw, {
            reason: `the ${this.platform} "${options.kind}" item does not have the documented shape: ${describeIssues(checked.error)}`,
            raw_platform_event_id: options.rawId,
          });
          return;
        }
        parsed = checked.data;
      }
      raw = parsed;
    }
    try {
      map(raw as R);
      return;
    } catch (error) {
      reason = `the ${this.platform} "${options.kind}" item could not be mapped: ${messageOf(error)}`;
    }
    this.own();
    this.forgetEmittedFrom(events);
    if (this.events.length > events) for (const event of this.events.splice(events)) this.seen?.delete(event.id);
    this.unhandledEvents.length = unhandled;
    this.unhandled(options.kind, raw, { reason, raw_platform_event_id: options.rawId });
  }

  /**
   * Adds one envelope. An event whose id was already emitted from this payload is dropped when it is the same
   * event (platforms repeat items inside one POST), and re-keyed with its occurrence when it is a different event
   * that shares a raw id, so one result never holds two envelopes with one id.
   */
  event<T extends EventType>(type: T, input: EventInput<T>): EventOf<T> {
    return this.add(type, input.key, input.timestamp, input.data, input.metadata);
  }

  static {
    addEvent = (builder, type, key, timestamp, data, metadata) => builder.add(type, key, timestamp, data, metadata);
  }

  /** `event`, its input given field by field (`ItemMapper.emit` calls it through `addEvent`). */
  private add<T extends EventType>(
    type: T,
    key: string,
    timestamp: number | string | undefined,
    data: EventData<T>,
    metadata: MetadataInput,
  ): EventOf<T> {
    const time = timestamp === undefined ? undefined : platformTime(timestamp);
    const envelope: EventOf<T> = {
      id: eventId(this.platform, this.context.block_id, key, type),
      type,
      workspace_id: this.context.workspace_id,
      block_id: this.context.block_id,
      platform: this.platform,
      timestamp: time ?? this.context.received_at,
      data,
      metadata: time !== undefined ? metadata : receivedMetadata(metadata, this.context.received_at, timestamp),
    };
    // the id, type and time are made here; the workspace, block and platform checked once per context; the
    // envelope is this builder's own, so it is completed in place (no second envelope, no result object)
    let event: EventOf<T> = envelope;
    if (!(isEnvelopeContext(this.platform, this.context) && completeBuiltEnvelope(type, envelope))) {
      const checked = validateEnvelope(type, envelope);
      if (!checked.success) {
        throw new EnvelopeError(`invalid ${type} envelope: ${describeIssues(checked.error)}`, {
          platform: this.platform,
          cause: checked.error,
        });
      }
      event = checked.data;
    }
    const earlier = this.indexOf(event.id);
    if (earlier !== undefined) {
      if (JSON.stringify(this.events[earlier]) === JSON.stringify(event)) return event;
      let occurrence = 2;
      while (this.indexOf(eventId(this.platform, this.context.block_id, `${key}#${occurrence}`, type)) !== undefined)
        occurrence += 1;
      return this.add(type, `${key}#${occurrence}`, timestamp, data, metadata);
    }
    this.own();
    this.remember(event as UnifiedEvent);
    // the first event in an array of its own size (an empty array's first push makes room for 16)
    if (this.events.length === 0) this.events = [event as UnifiedEvent];
    else this.events.push(event as UnifiedEvent);
    return event;
  }

  /** Records an event as emitted, at the next index of `events`. */
  private remember(event: UnifiedEvent): void {
    const first = this.firstEmitted;
    let index: number;
    if (this.emittedEvents !== undefined) {
      index = this.emittedEvents.length;
      this.emittedEvents.push(event);
    } else if (first === undefined) {
      index = 0;
      this.firstEmitted = event;
    } else {
      index = 1;
      this.emittedEvents = [first, event];
    }
    if (this.seen !== undefined) this.seen.set(event.id, index);
    else if (first !== undefined) this.seen = new Map<string, number>().set(first.id, 0).set(event.id, index);
  }

  /** Takes back the emitted events from `index` on (an item that failed). */
  private forgetEmittedFrom(index: number): void {
    if (this.emittedEvents !== undefined) this.emittedEvents.length = index;
    else if (index === 0) this.firstEmitted = undefined;
  }

  /** The event emitted at this index of `events`, if it was (and was not taken back). */
  private emittedAt(index: number): UnifiedEvent | undefined {
    if (this.emittedEvents !== undefined) return this.emittedEvents[index];
    return index === 0 ? this.firstEmitted : undefined;
  }

  /** Where the event with this id is in `events`, if it was emitted (and not taken back). */
  private indexOf(id: string): number | undefined {
    if (this.seen !== undefined) return this.seen.get(id);
    return this.firstEmitted !== undefined && this.firstEmitted.id === id ? 0 : undefined;
  }

  unhandled(
    kind: string,
    raw: unknown,
    options: { reason?: string; raw_platform_event_id?: string | undefined } = {},
  ): void {
    this.own();
    this.unhandledEvents.push({
      platform: this.platform,
      workspace_id: this.context.workspace_id,
      block_id: this.context.block_id,
      kind,
      reason: options.reason ?? `no catalogue type maps ${this.platform} "${kind}"`,
      ...(options.raw_platform_event_id === undefined ? {} : { raw_platform_event_id: options.raw_platform_event_id }),
      received_at: this.context.received_at,
      raw: boundedRaw(raw),
    });
  }

  /**
   * What was built. The arrays are handed out as they are (no copy per payload); the builder copies them before
   * any later change, so a result never changes after it was returned. The pipeline trusts the envelopes of this
   * result as validated (see `BuiltResult`); give it this object, not a copy, to keep that.
   */
  result(): NormalizeResult {
    this.shared = true;
    if (this.events === NO_EVENTS) this.events = [];
    return new BuiltResult(this.events, this.unhandledEvents, this);
  }

  /** Whether this builder emitted (so validated) this very envelope object and still holds it. */
  emitted(event: object): boolean {
    const index = this.indexOf((event as { id?: unknown }).id as string);
    // the emitted object itself, still at its place in the array handed out (not swapped for another)
    return index !== undefined && this.emittedAt(index) === event && this.events[index] === event;
  }

  private own(): void {
    if (!this.shared) return;
    this.events = [...this.events];
    this.unhandledEvents = [...this.unhandledEvents];
    this.shared = false;
  }
}

/** The metadata of an event stamped with the receive time (`withFields`, not a spread: see there). */
function receivedMetadata(
  metadata: MetadataInput,
  receivedAt: string,
  platformTimestamp: number | string | undefined,
): EventMetadata {
  const out: EventMetadata = withFields(metadata, { received_at: receivedAt, timestamp_source: "received" as const });
  // a time the platform sent that is not a time (out of 1970…9999, not a number): kept, not trusted
  if (platformTimestamp !== undefined) out.platform_timestamp = String(platformTimestamp).slice(0, 64);
  return out;
}
