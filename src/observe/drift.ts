import type { DriftRecord, Logger } from "../core";
import type { DriftInfo } from "../http";
import type { Metrics } from "./metrics";

/** Paths remembered as logged by default; past it new paths are counted but no longer logged (one line says so). */
export const DEFAULT_MAX_LOGGED_DRIFT = 1000;

/** What `driftReporter` writes to and counts in. */
export interface DriftReporterOptions {
  /** where each new path's one `drift` line goes (warn) */
  readonly logger: Logger;
  /** counts every occurrence in `convotic_drift_total{platform,path}` */
  readonly metrics?: Pick<Metrics, "drift">;
  /** paths remembered as logged; default `DEFAULT_MAX_LOGGED_DRIFT` */
  readonly maxLogged?: number;
}

/**
 * The `onDrift` of serve (`createWebhookHandler({ onDrift })`): each record counted, each path logged once per
 * process (a `drift` line at warn level with the platform, path, what changed and a shortened example), so a new
 * field in every message is one line, not one per request.
 */
export function driftReporter(options: DriftReporterOptions): (drift: readonly DriftRecord[], info: DriftInfo) => void {
  const logged = new Set<string>();
  const maxLogged = options.maxLogged ?? DEFAULT_MAX_LOGGED_DRIFT;
  let full = false;
  return (drift, info) => {
    options.metrics?.drift(drift);
    for (const record of drift) {
      const key = `${record.platform}\u0000${record.change}\u0000${record.path}`;
      if (logged.has(key)) continue;
      const tag = info.requestId === undefined ? {} : { request_id: info.requestId };
      if (logged.size >= maxLogged) {
        if (!full)
          options.logger.warn("drift: more new paths than remembered; further new paths are counted, not logged", {
            ...tag,
            remembered: maxLogged,
          });
        full = true;
        return;
      }
      logged.add(key);
      options.logger.warn("drift", {
        ...tag,
        platform: record.platform,
        block: record.block_id,
        path: record.path,
        change: record.change,
        value_kind: record.value_kind,
        example: record.example,
      });
    }
  };
}
