import type { UnifiedEvent } from "../../core";

/**
 * One output format: what a sink writes for each event (`format` in a sink's config) and what
 * `convotic replay --format` prints. Adding one is a file exporting an `OutputFormat` plus a line in
 * `OUTPUT_FORMATS` (./index.ts): the sinks' config schema, `render`, the replay choices and its help derive from it.
 */
export interface OutputFormat {
  /** the `Content-Type` a webhook sink sends the rendered body with */
  readonly contentType: string;
  /**
   * The event in this format, as a JSON value; `undefined` when the event has no counterpart in it (then a sink
   * counts it as unprojected and skips it). `subscriber` is the sink's name (it keys thread-style delivery ids).
   */
  project(event: UnifiedEvent, subscriber: string): unknown;
  /** whether `convotic replay --format` offers it (the review compares envelopes anyway, so `envelope` is not) */
  readonly review: boolean;
  /** for formats that leave some events out: the words in the review's "N event(s) without a … counterpart" */
  readonly counterpart?: string;
}
