import { z } from "zod";
import { typeMatcher, type EventType, type UnifiedEvent } from "../../core";
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from "../../formats/cloudevents";
import { toThreadEvent } from "../../formats/thread";

/** What a sink writes for each event: the envelope itself, its thread-style projection, or a CloudEvent. */
export const SinkFormat = z.enum(["envelope", "thread", "cloudevents"]);
export type SinkFormat = z.output<typeof SinkFormat>;

/** Router type patterns (`messaging.*`, `crm.contact.updated`); absent means every type. */
export const SinkFilter = z.array(z.string().min(1)).min(1);

export interface Rendered {
  readonly body: string;
  readonly contentType: string;
}

/** One event in one format for one subscriber; `undefined` when the format has no counterpart (thread-style). */
export function render(event: UnifiedEvent, format: SinkFormat, subscriber: string): Rendered | undefined {
  switch (format) {
    case "envelope":
      return { body: JSON.stringify(event), contentType: "application/json" };
    case "cloudevents":
      return { body: JSON.stringify(toCloudEvent(event)), contentType: CLOUDEVENTS_CONTENT_TYPE };
    case "thread": {
      const projected = toThreadEvent(event, subscriber);
      return projected === undefined ? undefined : { body: JSON.stringify(projected), contentType: "application/json" };
    }
  }
}

/** The filter as a predicate; every type passes when there is none. Throws `ConfigError` for a bad pattern. */
export function filterOf(filter: readonly string[] | undefined): (type: EventType) => boolean {
  return filter === undefined ? () => true : typeMatcher(filter);
}

/** Counts a sink keeps about what it did not send, for logs and metrics. */
export interface SkipCounts {
  /** events the filter excluded */
  filtered: number;
  /** events with no counterpart in the sink's format (thread-style) */
  unprojected: number;
}
