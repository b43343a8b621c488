// What happens to a normalised batch between the pipeline and the answer: idempotency, deadlines, sinks.
export { createDelivery, DeliveryRunner, unhandledKey } from "./delivery";
export type {
  Delivery,
  DeliveryInfo,
  DeliveryLogFields,
  DeliveryLogger,
  DeliveryOptions,
  DeliveryObserver,
  DeliveryOutcome,
  DeliveryReport,
  DeliveryStats,
  DeliveryStep,
  EventFailure,
  SinkFailureReport,
} from "./delivery";
export { Deadline, DeadlineError, withDeadline } from "./deadline";
export type { LateSettlement } from "./deadline";
export { DEFAULT_MAX_ENTRIES, MemoryStore } from "./memory-store";
export type { MemoryStoreOptions, MemoryStoreStats } from "./memory-store";
export { DEFAULT_DEADLINE_MS, DEFAULT_TTL_MS, PlatformTable } from "./policy";
export type { PerPlatform } from "./policy";
export { DEFAULT_KEY_PREFIX, RedisStore } from "./redis-store";
export type { RedisClientLike, RedisStoreOptions } from "./redis-store";
export type { Sink, SinkBatch, SinkDeliveryObserver, SinkDeliveryOutcome } from "./sink";
export { DEFAULT_DATA_DIR, DEFAULT_OUTBOX_MAX_AGE_MS, DEFAULT_OUTBOX_MAX_BYTES, Outbox, OutboxConfig } from "./outbox";
export type { OutboxEntry, OutboxOptions, OutboxRecord, OutboxStats } from "./outbox";
export { StoreUnavailableError } from "./store";
export type {
  Claim,
  ClaimState,
  IdempotencyStore,
  ImmediateIdempotency,
  StoreConfigSchema,
  StoreDefinition,
  StoreOptions,
} from "./store";
export {
  Duration,
  IdempotencyConfigSchema,
  literalRedisCredentials,
  openStore,
  PerPlatformDuration,
  STORES,
  ttlOf,
} from "./config";
export type { IdempotencyConfig, StoreKind } from "./config";
export { DeliveryError } from "./errors";
export { createJetStreamConsumer, DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER } from "./jetstream-consumer";
export type { JetStreamConsumer, JetStreamConsumerOptions, JetStreamConsumerStats } from "./jetstream-consumer";
export type { JetStreamOrderedOptions } from "./jetstream-ordered";
export { ConversationQueue } from "./conversation-queue";
export type { ConversationQueueOptions } from "./conversation-queue";
export { fnv1a32, MAX_PARTITIONS, orderKeyOf, partitionOf, partitionToken } from "./partitions";
export { DEFAULT_SKIPPABLE, DEFAULT_STATUS_RANKS } from "./status-order";
export type { StatusOrderOptions, StatusOrderStore, StatusStep, StatusVerdict } from "./status-order";
