import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { DriftRecord, UnhandledEvent, UnifiedEvent } from "../core";
import type { DeliveryObserver, SinkDeliveryObserver } from "../delivery";
import { PlainHistogram } from "./plain-histogram";

/** What a sink that delivers later holds, read at each scrape (`convotic_sink_outbox_*` gauges). */
export interface OutboxSource {
  readonly sink: string;
  stats(): { readonly depth: number; readonly oldestAgeMs: number };
}

/** What one answered webhook request tells the metrics; `block` is a configured id, never a client's path. */
export interface RequestObservation {
  readonly platform: string;
  readonly block: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly seconds: number;
}

/** Distinct `path` labels of `convotic_drift_total` by default; later new paths count as `path="other"`. */
export const DEFAULT_MAX_DRIFT_PATHS = 200;

/**
 * A counter's increments kept as plain numbers per label set and handed to prom-client when the counter is read
 * (its `collect`, which every scrape runs first): prom-client hashes and validates the labels on each `inc`, and
 * the edge counts a request and its events every time. Label sets are configured names only, as for the counter.
 */
class PendingCounts<Labels extends Record<string, string>> {
  private readonly counts = new Map<string, { readonly labels: Labels; count: number }>();

  /** Counts one more for a label set seen before; false for a new one, which `start` then takes. */
  add(key: string): boolean {
    const entry = this.counts.get(key);
    if (entry === undefined) return false;
    entry.count += 1;
    return true;
  }

  start(key: string, labels: Labels): void {
    this.counts.set(key, { labels, count: 1 });
  }

  /** Hands what was counted since the last read to `counter`, in the order the label sets were first seen. */
  flush(counter: Counter<Extract<keyof Labels, string>>): void {
    for (const entry of this.counts.values()) {
      if (entry.count === 0) continue;
      counter.inc(entry.labels, entry.count);
      entry.count = 0;
    }
  }
}

/**
 * Prometheus metrics of the edge on a registry of their own (prom-client). Labels take only configured names
 * (platforms, block ids, catalogue types, platform kinds, error codes), so a client cannot grow the series; the
 * one exception, drift paths (what a platform sent), is capped at `maxDriftPaths` (then `other`).
 */
export function createMetrics(options: { processMetrics?: boolean; maxDriftPaths?: number } = {}) {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "convotic_" });
  const answered = new PendingCounts<{ platform: string; block: string; status: string }>();
  new Counter({
    name: "convotic_webhook_requests_total",
    help: "Webhook requests answered, by platform, block and HTTP status",
    labelNames: ["platform", "block", "status"],
    registers: [registry],
    collect() {
      answered.flush(this);
    },
  });
  const latency = new PlainHistogram({
    name: "convotic_webhook_request_duration_seconds",
    help: "Time from a webhook request's bytes to its answer, by platform and HTTP status",
    labelNames: ["platform", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const emitted = new PendingCounts<{ platform: string; type: string }>();
  new Counter({
    name: "convotic_events_total",
    help: "Envelopes emitted, by platform and event type",
    labelNames: ["platform", "type"],
    registers: [registry],
    collect() {
      emitted.flush(this);
    },
  });
  const unhandled = new Counter({
    name: "convotic_unhandled_total",
    help: "Valid platform events with no catalogue mapping, by platform and the platform's kind",
    labelNames: ["platform", "kind"],
    registers: [registry],
  });
  const driftTotal = new Counter({
    name: "convotic_drift_total",
    help: "Fields and values platforms sent that their catalogue does not know, by platform and path (docs/drift.md)",
    labelNames: ["platform", "path"],
    registers: [registry],
  });
  const driftLabels = new Set<string>();
  const maxDriftPaths = options.maxDriftPaths ?? DEFAULT_MAX_DRIFT_PATHS;
  /** Counts each record's occurrences; a path gets its own label while fewer than the cap have one. */
  function drift(records: readonly DriftRecord[]): void {
    for (const record of records) {
      const key = `${record.platform}\u0000${record.path}`;
      let path = record.path;
      if (!driftLabels.has(key)) {
        if (driftLabels.size < maxDriftPaths) driftLabels.add(key);
        else path = "other";
      }
      driftTotal.inc({ platform: record.platform, path }, record.count);
    }
  }
  const signatureFailures = new Counter({
    name: "convotic_signature_failures_total",
    help: "Requests refused because their signature or secret token did not verify (401), by platform and block",
    labelNames: ["platform", "block"],
    registers: [registry],
  });
  const handlerFailures = new Counter({
    name: "convotic_handler_failures_total",
    help: "Requests answered 5xx so the platform redelivers (a sink or a handler failed), by platform and error code",
    labelNames: ["platform", "code"],
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "convotic_duplicates_total",
    help: "Redelivered events recognised as already processed, by platform",
    labelNames: ["platform"],
    registers: [registry],
  });
  const superseded = new Counter({
    name: "convotic_superseded_total",
    help: "Status events acknowledged without delivery because their message's status was further already (statusOrder), by platform and type",
    labelNames: ["platform", "type"],
    registers: [registry],
  });
  const sinkFailures = new Counter({
    name: "convotic_sink_failures_total",
    help: "Items a sink refused or failed (released, so the platform redelivers them), by sink and error code",
    labelNames: ["sink", "code"],
    registers: [registry],
  });

  const sinkDeliveries = new Counter({
    name: "convotic_sink_deliveries_total",
    help: "Delivery attempts of sinks that deliver later (webhook), by sink and outcome: delivered, retried, dead_lettered",
    labelNames: ["sink", "outcome"],
    registers: [registry],
  });
  const outboxes: OutboxSource[] = [];
  new Gauge({
    name: "convotic_sink_outbox_depth",
    help: "Events accepted by a sink (acknowledged to the platform) and not yet delivered nor dead-lettered, by sink",
    labelNames: ["sink"],
    registers: [registry],
    collect() {
      for (const source of outboxes) this.set({ sink: source.sink }, source.stats().depth);
    },
  });
  new Gauge({
    name: "convotic_sink_outbox_oldest_age_seconds",
    help: "Age of the oldest undelivered event of a sink (0 when none), by sink",
    labelNames: ["sink"],
    registers: [registry],
    collect() {
      for (const source of outboxes) this.set({ sink: source.sink }, source.stats().oldestAgeMs / 1000);
    },
  });
  /** Pass to the sinks (`createSink(config, { observer })`): counts each delivery outcome. */
  const sinkObserver: SinkDeliveryObserver = {
    delivery: (sink, outcome) => sinkDeliveries.inc({ sink, outcome }),
  };

  function delivered(batch: readonly UnifiedEvent[], skipped: readonly UnhandledEvent[]): void {
    for (const event of batch) {
      const { platform, type } = event;
      const key = `${platform}\u0000${type}`;
      if (!emitted.add(key)) emitted.start(key, { platform, type });
    }
    for (const item of skipped) unhandled.inc({ platform: item.platform, kind: item.kind });
  }

  /** Pass to `createWebhookHandler({ observer })`: counts committed events, duplicates and sink failures. */
  const observer: DeliveryObserver = {
    ran: ({ info, outcome, committed, superseded: stale }) => {
      delivered(committed.events, committed.unhandled);
      for (const event of stale ?? []) superseded.inc({ platform: event.platform, type: event.type });
      if (outcome.duplicates > 0) duplicates.inc({ platform: info.platform }, outcome.duplicates);
    },
    sinkFailed: ({ sink, code, items }) => sinkFailures.inc({ sink, code }, items),
  };

  return {
    registry,
    contentType: registry.contentType,
    request(observation: RequestObservation): void {
      const { platform, block } = observation;
      const status = String(observation.status);
      const key = `${platform}\u0000${block}\u0000${status}`;
      if (!answered.add(key)) answered.start(key, { platform, block, status });
      latency.record(`${platform}\u0000${status}`, { platform, status }, observation.seconds);
      if (observation.status === 401) signatureFailures.inc({ platform, block });
      if (observation.status >= 500) handlerFailures.inc({ platform, code: observation.code ?? "unknown" });
    },
    delivered,
    drift,
    observer,
    sinkObserver,
    /** reports a sink's outbox depth and oldest age at each scrape */
    watchOutbox(source: OutboxSource): void {
      outboxes.push(source);
    },
    duplicate(platform: string, count = 1): void {
      duplicates.inc({ platform }, count);
    },
    text: () => registry.metrics(),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
