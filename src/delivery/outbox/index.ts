export { DEFAULT_DATA_DIR, DEFAULT_OUTBOX_MAX_AGE_MS, DEFAULT_OUTBOX_MAX_BYTES, OutboxConfig } from "./config";
export { Outbox } from "./outbox";
export type { OutboxEntry, OutboxOptions, OutboxRecord, OutboxStats } from "./outbox";
