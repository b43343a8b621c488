/**
 * `convotic/testing`: the conformance suite every adapter must pass, and helpers to sign bodies and build
 * requests as a platform would, so you can test your own adapters and handlers.
 * @packageDocumentation
 */
export { defaultContext, describeAdapterConformance, goldenText } from "./conformance";
export type { ConformanceOptions, TestRunner } from "./conformance";
export { jsonDiff } from "./diff";
export { rawBodyOf, signedFetchRequest, signedHeaders, signedRequest } from "./signing";
