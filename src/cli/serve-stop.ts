import type { RunningServer } from "../http";
import type { AuthFailureLogger } from "../observe";
import { EXIT } from "./io";
import type { ServeSinks } from "./serve-sinks";

/*
 * How serve stops: the server, then the sinks in what is left of the grace period, then the store, all within a
 * bounded time (split from serve.ts, which starts them).
 */

/** writes pending auth-failure summaries on close(), and flushes */
export type ServeLogger = AuthFailureLogger;

/**
 * How long past the grace period a stop may run: a sink's `close()` gets 2 s more (serve-sinks.ts) and the
 * idempotency store closes after it. Past this, serve gives up on the stop itself and exits 3.
 */
export const STOP_SLACK_MS = 3000;

/** The stop's exit code, or exit 3 with one error line if the stop itself hangs past `limitMs`. */
export async function withinLimit(stopping: Promise<number>, limitMs: number, logger: ServeLogger): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      logger.error(
        `the shutdown did not finish within ${limitMs} ms (grace period and ${STOP_SLACK_MS} ms); exiting ${EXIT.abandoned}, abandoning what was still closing`,
      );
      resolve(EXIT.abandoned);
    }, limitMs);
  });
  try {
    return await Promise.race([stopping, cut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops within the grace period; exit 0 only when nothing was abandoned and stdout was not lost. */
export async function stop(parts: {
  server: RunningServer;
  outputs: ServeSinks;
  store: { close(): Promise<void> } | undefined;
  graceMs: number;
  logger: ServeLogger;
  clean: boolean;
}): Promise<number> {
  const { server, outputs, store, graceMs, logger } = parts;
  const ends = Date.now() + graceMs;
  const report = await server.close({ graceMs });
  // the sinks flush (a webhook sink delivers its queue) in what is left of the grace period
  const unflushed = await outputs.close(AbortSignal.timeout(Math.max(1, ends - Date.now())));
  await store?.close();
  const abandoned = [
    report.requests > 0 ? `${report.requests} unanswered request(s)` : "",
    report.background > 0 ? `${report.background} background task(s) of ack "immediate"` : "",
    ...unflushed,
  ].filter(Boolean);
  if (abandoned.length > 0) {
    logger.error(
      `the shutdown grace period of ${graceMs} ms ended; abandoned ${abandoned.join(", ")}; exiting ${EXIT.abandoned}`,
      { ...report },
    );
    logger.close();
    return EXIT.abandoned;
  }
  const code = parts.clean ? EXIT.ok : EXIT.abandoned;
  logger.info(`stopped (exit ${code})`);
  // the logger writes once per event-loop turn: the pending auth-failure summary and the last lines go out before
  // the exit code does
  logger.close();
  return code;
}
