import type { UnhandledEvent, UnifiedEvent } from "../core";

/** What one request (or one event of it) hands to the sinks. */
export interface SinkBatch {
  readonly events: readonly UnifiedEvent[];
  readonly unhandled: readonly UnhandledEvent[];
}

/**
 * Where normalised events go besides the in-process router: stdout, a JSON-lines file, a forwarding webhook, a
 * stream. The contract every sink kind plugs into (docs/reliability.md says what each guarantees).
 */
export interface Sink {
  /** names the sink in logs, metrics and readiness answers */
  readonly name: string;
  /**
   * Takes a batch. Resolves once the sink has accepted every item as far as its own guarantee goes (queued in
   * memory, written to a file, acknowledged by a stream); rejects when it cannot, and the platform is then
   * answered 5xx so it redelivers. `signal` aborts when the caller's deadline passes.
   */
  write(batch: SinkBatch, signal: AbortSignal): Promise<void>;
  /**
   * True when `write()` never reads its signal (it does its work at once, like the stdout sink): the caller then
   * passes one that never aborts instead of making one per batch. Its deadline still bounds the wait.
   */
  readonly ignoresSignal?: boolean;
  /** Stops taking batches and flushes what it holds, giving up when `signal` aborts. */
  close(signal: AbortSignal): Promise<void>;
  /** For readiness probes: whether the sink can take batches now. Absent means always. */
  ready?(): Promise<boolean>;
  /** With `ready()` false: why, in words for `/readyz` (an outbox past its bound, a closed sink…). */
  unreadyReason?(): string | undefined;
}

/** What a sink that delivers later (the webhook sink) did with one delivery attempt. */
export type SinkDeliveryOutcome = "delivered" | "retried" | "dead_lettered";

/** Hears a later-delivering sink's progress (serve counts `convotic_sink_deliveries_total` from it). */
export interface SinkDeliveryObserver {
  delivery?(sink: string, outcome: SinkDeliveryOutcome): void;
}
