import { z } from "zod";
import { Duration } from "../duration";

export const DEFAULT_DATA_DIR = ".convotic";
export const DEFAULT_OUTBOX_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_OUTBOX_MAX_AGE_MS = 3 * 86_400_000;

/**
 * A sink's `outbox` section. `durable: true` (the default) records every accepted event in an SQLite file under
 * `data_dir` before the platform is answered 200; `false` keeps the old in-memory queue, which loses acknowledged
 * events on a crash (kept for comparison and for hosts without a writable disk).
 */
export const OutboxConfig = z.strictObject({
  durable: z.boolean().default(true),
  /** the body bytes the outbox may hold; past it, writes are refused (503 + Retry-After) */
  max_bytes: z.int().positive().default(DEFAULT_OUTBOX_MAX_BYTES),
  /** an entry still undelivered this long after it was accepted goes to the dead-letter file */
  max_age: Duration.default(DEFAULT_OUTBOX_MAX_AGE_MS),
});
export type OutboxConfig = z.input<typeof OutboxConfig>;
