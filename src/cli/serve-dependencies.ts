import type { Logger } from "../core";
import type { IdempotencyStore, Sink } from "../delivery";
import { DependencyHealth } from "../delivery/dependency-health";
import type { PlatformTable } from "../delivery/policy";
import { RedisStore } from "../delivery/redis-store";
import { JetStreamSink } from "../delivery/sinks/jetstream";

/** The sinks and store that watch a dependency: their outages go to `logger`, one line per interval with a count. */
export function attachHealth(logger: Logger, sinks: readonly Sink[], store: IdempotencyStore | undefined): void {
  for (const owner of [...sinks, store]) {
    const health = (owner as { health?: unknown } | undefined)?.health;
    if (health instanceof DependencyHealth) health.attach(logger);
  }
}

/**
 * What is worth a warning at start: a memory stream (a NATS restart loses it and what it held), and a sink or store
 * timeout that is not below the request deadline of a platform it serves (a slow dependency then meets the
 * deadline first: still a 503, but after the platform's whole deadline instead of the dependency's own timeout).
 */
export function dependencyWarnings(parts: {
  readonly sinks: readonly Sink[];
  readonly store: IdempotencyStore | undefined;
  readonly platforms: readonly string[];
  readonly deadlines: PlatformTable;
}): string[] {
  const warnings: string[] = [];
  const shortest = parts.platforms
    .map((platform) => ({ platform, ms: parts.deadlines.for(platform) }))
    .sort((a, b) => a.ms - b.ms)[0];
  const tooLong = (what: string, ms: number, setting: string) => {
    if (shortest === undefined || ms < shortest.ms) return;
    warnings.push(
      `${what}: ${setting} of ${ms} ms is not below the request deadline of ${shortest.platform} (${shortest.ms} ms); ` +
        `a dependency that does not answer would hold requests for the whole deadline: set it below ${shortest.ms} ms`,
    );
  };
  for (const sink of parts.sinks) {
    if (!(sink instanceof JetStreamSink)) continue;
    const { storage, publishTimeoutMs, connectTimeoutMs } = sink.settings;
    if (storage === "memory") {
      warnings.push(
        `sink ${sink.name}: stream ${sink.stream} uses memory storage: a NATS restart loses it and the events it held ` +
          `(serve creates it again on the next publish or readiness check); use storage "file" to keep them`,
      );
    }
    tooLong(`sink ${sink.name}`, publishTimeoutMs, "publish_timeout");
    tooLong(`sink ${sink.name}`, connectTimeoutMs, "connect_timeout");
  }
  if (parts.store instanceof RedisStore && parts.store.commandTimeoutMs !== undefined) {
    tooLong("idempotency store redis", parts.store.commandTimeoutMs, "command_timeout");
  }
  return warnings;
}
