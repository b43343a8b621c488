import { z } from "zod";
import { typeMatcher, type EventType, type UnifiedEvent } from "../../core";
import { OUTPUT_FORMAT_NAMES, OUTPUT_FORMATS } from "../../formats/output";

/** What a sink writes for each event: one of `OUTPUT_FORMATS` (the envelope, its thread-style projection, a CloudEvent…). */
export const SinkFormat = z.enum(OUTPUT_FORMAT_NAMES);
export type SinkFormat = z.output<typeof SinkFormat>;

/** Router type patterns (`messaging.*`, `crm.contact.updated`); absent means every type. */
export const SinkFilter = z.array(z.string().min(1)).min(1);

export interface Rendered {
  readonly body: string;
  readonly contentType: string;
}

/** One event in one format for one subscriber; `undefined` when the format has no counterpart (thread-style). */
export function render(event: UnifiedEvent, format: SinkFormat, subscriber: string): Rendered | undefined {
  const output = OUTPUT_FORMATS[format];
  const projected = output.project(event, subscriber);
  return projected === undefined ? undefined : { body: JSON.stringify(projected), contentType: output.contentType };
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

/**
 * The filter → render → count loop every rendering sink runs over a batch: events the filter excludes and events
 * without a counterpart in the format are counted in `skipped`; each other one is handed to `take`, rendered.
 */
export class BatchRenderer {
  private readonly matches: (type: EventType) => boolean;

  /** Throws `ConfigError` for a bad filter pattern. */
  constructor(
    filter: readonly string[] | undefined,
    private readonly format: SinkFormat,
    private readonly subscriber: string,
    private readonly skipped: SkipCounts,
  ) {
    this.matches = filterOf(filter);
  }

  each(events: readonly UnifiedEvent[], take: (rendered: Rendered, event: UnifiedEvent) => void): void {
    for (const event of events) {
      if (!this.matches(event.type)) {
        this.skipped.filtered += 1;
        continue;
      }
      const rendered = render(event, this.format, this.subscriber);
      if (rendered === undefined) this.skipped.unprojected += 1;
      else take(rendered, event);
    }
  }
}
