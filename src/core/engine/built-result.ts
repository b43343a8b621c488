import type { NormalizeResult, UnhandledEvent, UnifiedEvent } from "../envelope";

/** What a `BuiltResult` asks its builder: whether it emitted (so validated) this very envelope and still holds it. */
export interface EmittedEnvelopes {
  emitted(event: object): boolean;
}

/**
 * The result `EnvelopeBuilder.result()` returns: the two arrays, plus (in a private field, invisible to JSON,
 * spreads and equality checks) the builder that validated each envelope as it emitted it. The pipeline checks a
 * result as soon as the adapter returns it, and skips validating again the envelopes this result vouches for:
 * it trusts the type, not a slot shared between calls. A plain object (an adapter that builds envelopes itself,
 * a spread copy) carries no such vouching and is validated in full.
 */
export class BuiltResult implements NormalizeResult {
  readonly #events: readonly UnifiedEvent[];
  readonly #builder: EmittedEnvelopes;

  constructor(
    public events: UnifiedEvent[],
    public unhandled: UnhandledEvent[],
    builder: EmittedEnvelopes,
  ) {
    this.#events = events;
    this.#builder = builder;
  }

  /**
   * Whether `event`, found in `events`, was validated as it was emitted: `events` is still the array this result
   * was built with (not swapped for another) and the builder emitted this very object at its place.
   */
  vouchesFor(event: object, events: readonly object[]): boolean {
    return events === this.#events && this.#builder.emitted(event);
  }
}
