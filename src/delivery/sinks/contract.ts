import type { Writable } from "node:stream";
import type { z } from "zod";
import type { Logger } from "../../core";
import type { Sink, SinkDeliveryObserver } from "../sink";

export interface SinkEnvironment {
  /** where `stdout` sinks write; defaults to process.stdout */
  readonly stdout?: Writable;
  /** a `stdout` sink's stream broke (EPIPE); serve exits non-zero */
  readonly onBroken?: (error: unknown) => void;
  /** where sinks with a durable outbox keep it (default `./.convotic`) */
  readonly dataDir?: string;
  /** hears a later-delivering sink's retries and dead letters */
  readonly logger?: Logger;
  readonly observer?: SinkDeliveryObserver;
}

/** The schema of one sink kind's entry in `sinks: [...]`: a strict object whose `kind` is the registry key. */
export type SinkConfigSchema = z.ZodObject<{ kind: z.ZodLiteral<string> }, z.core.$strict>;

/**
 * One sink kind. Adding one is a file exporting a `SinkDefinition` plus a line in `SINKS` (./registry.ts): the
 * config union of `serve`'s file, `createSink` and the duplicate-name check derive from it.
 */
export interface SinkDefinition<Schema extends SinkConfigSchema> {
  /** the entry's schema, `kind` included */
  readonly config: Schema;
  /** the sink's name when its entry sets none (names key delivery ids, logs and metrics, so must be unique) */
  defaultName(config: z.input<Schema>): string;
  /** Builds the sink from its (already env-resolved) entry; throws `ConfigError` naming the field, never a secret. */
  create(config: z.input<Schema>, environment: SinkEnvironment): Sink;
}
