import type { HeaderMap, VerifyRequest } from "./adapter";
import type { VerifyInput } from "./normalizer";
import { queryOf } from "./query";

/**
 * What an adapter verifies, one object per request. The URL and the query are built only when the adapter reads
 * them (a signature over the URL, or in the query): JSON platforms never do, and building the query costs
 * microseconds. A class, not an object literal with getters: a literal defines its accessors in the runtime on
 * every request (about 4k instructions), a class has them once on its prototype.
 *
 * Whoever knows where the URL comes from says so in a subclass (`readUrl`, `readQuery`); the pipeline hands such
 * an object to the adapter as it is, and wraps anything else (`InputRequest`), so the HTTP edge makes one object
 * per request, not its own and the pipeline's around it.
 */
export abstract class VerifyingRequest implements VerifyRequest {
  #url: string | undefined;
  #urlRead = false;
  #query: URLSearchParams | undefined;

  constructor(
    readonly rawBody: Uint8Array,
    readonly headers: HeaderMap,
  ) {}

  get url(): string | undefined {
    if (!this.#urlRead) {
      this.#url = this.readUrl();
      this.#urlRead = true;
    }
    return this.#url;
  }

  get query(): URLSearchParams {
    return (this.#query ??= this.readQuery());
  }

  /** The URL the platform called, as `VerifyRequest.url` says; read at most once. */
  protected abstract readUrl(): string | undefined;

  /** The query parameters; those of `url` unless the caller knows them otherwise. Read at most once. */
  protected readQuery(): URLSearchParams {
    return queryOf(this.url);
  }
}

/** A caller's `VerifyInput` (a library call): its `url` and `query` as given, the query read from the URL if not. */
export class InputRequest extends VerifyingRequest {
  readonly #input: VerifyInput;

  constructor(rawBody: Uint8Array, input: VerifyInput) {
    super(rawBody, input.headers);
    this.#input = input;
  }

  protected readUrl(): string | undefined {
    return this.#input.url;
  }

  protected override readQuery(): URLSearchParams {
    return this.#input.query ?? queryOf(this.#input.url);
  }
}
