import { ConfigError } from "../core";
import { MAX_PARTITIONS } from "./partitions";

/** `createJetStreamConsumer`'s `ordered` option: one conversation in order across processes (docs/scaling.md). */
export interface JetStreamOrderedOptions {
  /** the sink's `partitions` (the same number: a different one reads other subjects) */
  readonly partitions: number;
  /**
   * the partitions this process pulls (default all). Every process pulling every partition is the default and
   * fails over by itself; a static share (`p % processes == index`) is what `maxAckPending` > 1 needs.
   */
  readonly only?: readonly number[];
  /**
   * messages of one partition unacknowledged at once, across every process pulling it (default 1: the server hands
   * out the next message of a partition only after the last one was acknowledged, whoever pulled it). Above 1 the
   * partition must have one puller only (`only`), else two processes would handle one conversation at once; and a
   * SIGKILLed process's unacknowledged messages may come back out of order on nats-server 2.9 (docs/scaling.md).
   */
  readonly maxAckPending?: number;
  /**
   * hold each event this long and handle a conversation's held events in platform-timestamp order, ties by stream
   * order (default 0). Needs `maxAckPending` > 1: one event at a time cannot be reordered.
   */
  readonly reorderWindowMs?: number;
}

/** Refuses settings that cannot keep order, before anything connects. */
export function checkOrdered(ordered: JetStreamOrderedOptions, perPartition: number): void {
  const { partitions, only, reorderWindowMs } = ordered;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new ConfigError(`ordered.partitions must be a whole number from 1 to ${MAX_PARTITIONS}`);
  if (only !== undefined && (only.length === 0 || only.some((p) => !Number.isInteger(p) || p < 0 || p >= partitions)))
    throw new ConfigError(`ordered.only lists partitions from 0 to ${partitions - 1}`);
  if (!Number.isInteger(perPartition) || perPartition < 1)
    throw new ConfigError("ordered.maxAckPending must be a whole number of at least 1");
  if ((reorderWindowMs ?? 0) > 0 && perPartition < 2)
    throw new ConfigError(
      "ordered.reorderWindowMs needs maxAckPending above 1: one event at a time cannot be reordered",
    );
}
