/**
 * `convotic/sinks`: where normalised events go. `createSink` from a config entry, the stdout, file, webhook
 * (Standard Webhooks) and JetStream sinks, their config schemas and the dead-letter file format.
 * @packageDocumentation
 */
export * from "../delivery/sinks";
export type { Sink, SinkBatch, SinkDeliveryObserver, SinkDeliveryOutcome } from "../delivery/sink";
