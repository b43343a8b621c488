/**
 * `convotic/delivery`: what happens to a normalised batch between the pipeline and the answer. Idempotency
 * stores (memory, Redis), deadlines, the durable outbox, the JetStream consumer and `createDelivery`.
 * @packageDocumentation
 */
export * from "../delivery";
