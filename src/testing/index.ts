/**
 * `convotic/testing`: the conformance suite every adapter must pass, and helpers to sign bodies and build
 * requests as a platform would, so you can test your own adapters and handlers.
 * @packageDocumentation
 */
export { describeAdapterConformance, goldenText } from "./conformance";
export { defaultContext } from "./fixtures";
export type { ConformanceOptions, TestRunner } from "./conformance";
export { jsonDiff } from "./json-diff";
export { rawBodyOf, signedFetchRequest, signedHeaders, signedRequest } from "./signing";
export type { SignedHeadersOptions } from "./signing";
export { fixtureContentType, FIXTURE_CONTENT_TYPES, fixtureUrl } from "./fixtures";
