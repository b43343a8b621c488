/**
 * TEST-ONLY crash points for the outbox's crash tests: with `CONVOTIC_TEST_KILL_AT=<point>` in its environment, the
 * process SIGKILLs itself the first time it reaches that point, exactly as a power cut or the OOM killer would stop
 * it there. Without the variable (every real deployment) `killPoint` does nothing. The variable is read once.
 */
export type KillPoint =
  /** a batch reached the outbox, nothing of it is on disk yet */
  | "before-outbox-write"
  /** the batch is committed to disk, the platform has not been answered */
  | "after-outbox-write"
  /** the subscriber answered 2xx, the outbox has not recorded it as done */
  | "after-delivery"
  /** a file sink appended a batch, the idempotency store has not committed it (the platform has no 200) */
  | "after-file-write";

const armed = process.env["CONVOTIC_TEST_KILL_AT"];

export function killPoint(point: KillPoint): void {
  if (armed === point) process.kill(process.pid, "SIGKILL");
}
