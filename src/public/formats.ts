/**
 * `convotic/formats`: output formats as pure projections of the envelope. CloudEvents 1.0, the thread-style
 * events, delivery ids and the JSON Schema ids.
 * @packageDocumentation
 */
export * from "../formats";
