import type { LogFields } from "../http";
import type { FlushableLogger } from "./log";

export const DEFAULT_AUTH_FAILURE_INTERVAL_MS = 10_000;
/** remote addresses named per route and interval: enough to spot a source, bounded whatever the flood */
const ADDRESSES_SHOWN = 5;

interface Window {
  count: number;
  /** the route's platform and blocks, as the refused requests' records name them */
  scope?: LogFields;
  readonly remotes: Set<string>;
  readonly codes: Set<string>;
}

export interface AuthFailureLogger extends FlushableLogger {
  /** writes what is pending and stops the interval timer */
  close(): void;
}

/**
 * A logger that writes requests refused for their signature or secret (401) at most once per route and interval.
 * A forged request costs its sender one request but wrote one warn line of ~230 bytes: a flood of them was a
 * flood of logs (8.8 MB per 10 s measured). The first refusal on a quiet route is written at once, as it was (a
 * wrong secret in the config shows up immediately); the next ones in the same interval become one line at its end
 * with their count, the first few remote addresses and their error codes. A route stays quiet after an interval
 * without refusals. Every other record passes through unchanged.
 */
export function aggregateAuthFailures(
  logger: FlushableLogger,
  options: { intervalMs?: number } = {},
): AuthFailureLogger {
  const intervalMs = options.intervalMs ?? DEFAULT_AUTH_FAILURE_INTERVAL_MS;
  const windows = new Map<string, Window>();

  function report(): void {
    for (const [path, window] of windows) {
      if (window.count === 0) {
        windows.delete(path);
        continue;
      }
      logger.warn("requests refused for their signature or secret (401), aggregated", {
        path,
        ...window.scope,
        count: window.count,
        remotes: [...window.remotes],
        codes: [...window.codes],
        interval_ms: intervalMs,
      });
      windows.set(path, { count: 0, remotes: new Set(), codes: new Set() });
    }
    // no timer while every route is quiet
    if (windows.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }
  let timer: NodeJS.Timeout | undefined;

  function refused(fields: LogFields | undefined): boolean {
    if (fields?.["status"] !== 401) return false;
    const path = String(fields["path"] ?? "(other)");
    const window = windows.get(path);
    if (window === undefined) {
      windows.set(path, { count: 0, remotes: new Set(), codes: new Set() });
      if (timer === undefined) {
        timer = setInterval(report, intervalMs);
        timer.unref();
      }
      return false;
    }
    window.count += 1;
    if (window.scope === undefined && fields["platform"] !== undefined)
      window.scope = { platform: fields["platform"], blocks: fields["blocks"] };
    const remote = fields["remote"];
    if (typeof remote === "string" && window.remotes.size < ADDRESSES_SHOWN) window.remotes.add(remote);
    const code = fields["code"];
    if (typeof code === "string" && window.codes.size < ADDRESSES_SHOWN) window.codes.add(code);
    return true;
  }

  const pass =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields?: LogFields): void => {
      if (message === "webhook" && refused(fields)) return;
      logger[level](message, fields);
    };
  return {
    debug: pass("debug"),
    info: pass("info"),
    warn: pass("warn"),
    error: pass("error"),
    flush: () => {
      report();
      logger.flush();
    },
    close: () => {
      report();
      clearInterval(timer);
      timer = undefined;
      windows.clear();
      logger.flush();
    },
  };
}
