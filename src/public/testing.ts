/**
 * `convotic/testing`: the conformance suite every adapter must pass, and helpers to sign bodies and build
 * requests as a platform would, so you can test your own adapters and handlers.
 * @packageDocumentation
 */
export * from "../testing";
