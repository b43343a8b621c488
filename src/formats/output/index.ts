import { cloudevents } from "./cloudevents";
import type { OutputFormat } from "./contract";
import { envelope } from "./envelope";
import { thread } from "./thread";

export type { OutputFormat } from "./contract";

/**
 * The output formats, by the name a sink's `format` and `replay --format` use. The first is the default. Sink
 * config schemas, `render`, the replay choices and the help text derive from this object.
 */
export const OUTPUT_FORMATS = {
  envelope,
  thread,
  cloudevents,
} as const satisfies Record<string, OutputFormat>;

export type OutputFormatName = keyof typeof OUTPUT_FORMATS;

/** The format names, in registry order (the zod enum of a sink's `format`). */
export const OUTPUT_FORMAT_NAMES = Object.keys(OUTPUT_FORMATS) as [OutputFormatName, ...OutputFormatName[]];

/** The formats `convotic replay --format` offers. */
export const REVIEW_FORMATS = OUTPUT_FORMAT_NAMES.filter((name) => OUTPUT_FORMATS[name].review);
