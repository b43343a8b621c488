import {
  acceptsContentType,
  BodyShapeError,
  ConfigError,
  DEFAULT_CONTENT_TYPES,
  exceedsShapeOf,
  headerValue,
  type HeaderMap,
  type ShapeLimits,
} from "../core";
import { HttpError } from "./errors";

/** `application/json`, with an optional UTF-8 charset: what the JSON platforms send. */
export function isJson(contentType: string | undefined): boolean {
  return acceptsContentType(DEFAULT_CONTENT_TYPES, contentType);
}

/**
 * The content codings of a request other than `identity`, or `undefined` when its bytes are as sent. Every
 * platform posts uncompressed JSON and signs those bytes; a gzip, deflate or br body would be read as raw bytes
 * and answered 400 or 401 with nothing saying why.
 */
export function unsupportedEncoding(headers: HeaderMap): string | undefined {
  const given = headerValue(headers, "content-encoding");
  if (given === undefined) return undefined;
  const codings = given
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  return codings.length === 0 ? undefined : codings.join(", ");
}

/** 415 `unsupported_encoding`; `Accept-Encoding: identity` says what is accepted (RFC 9110 §12.5.3). */
export function encodingError(codings: string): HttpError {
  const shown = codings.length > 60 ? `${codings.slice(0, 60)}…` : codings;
  return new HttpError(
    `content-encoding "${shown}" is not supported: the platforms send identity (uncompressed) bodies, and the signature covers those bytes`,
    { code: "unsupported_encoding", status: 415, headers: { "accept-encoding": "identity" } },
  );
}

/**
 * Content encoding, content type (one of the adapter's `contentTypes`, JSON by default), then size: what is
 * checked before the signature. Returns the content type, which the parser is given.
 */
export function checkBody(
  request: { readonly headers: HeaderMap; readonly rawBody: Uint8Array },
  bodyLimit: number,
  accepted: readonly string[] = DEFAULT_CONTENT_TYPES,
): string {
  const codings = unsupportedEncoding(request.headers);
  if (codings !== undefined) throw encodingError(codings);
  const contentType = headerValue(request.headers, "content-type");
  if (contentType === undefined || !acceptsContentType(accepted, contentType)) {
    const given = contentType === undefined ? "none" : `"${contentType.slice(0, 100)}"`;
    throw new HttpError(`expected content-type ${accepted.join(" or ")} (UTF-8), got ${given}`, {
      code: "unsupported_media_type",
      status: 415,
    });
  }
  if (request.rawBody.byteLength > bodyLimit) {
    throw new HttpError(`the body exceeds the limit of ${bodyLimit} bytes`, { code: "payload_too_large", status: 413 });
  }
  return contentType;
}

/** Defaults of the caps: 10× the 1,000 updates Meta batches at most, each a few items and a few dozen keys. */
export const DEFAULT_SHAPE_LIMITS: ShapeLimits = { maxKeys: 100_000, maxItems: 10_000 };

/**
 * After the signature, before the parser: a body over the key or item cap is a 413 naming which (a form's fields
 * and an XML body's tags count as keys).
 */
export function checkShape(
  platform: string,
  rawBody: Uint8Array,
  limits: ShapeLimits,
  contentType?: string | undefined,
): void {
  const excess = exceedsShapeOf(rawBody, limits, contentType);
  if (excess !== undefined) throw new BodyShapeError(platform, excess);
}

/** The caps a handler was given, validated (positive integers), with the defaults for the others. */
export function shapeLimitsOf(given: {
  readonly maxKeys?: number | undefined;
  readonly maxItems?: number | undefined;
}): ShapeLimits {
  const limits = {
    maxKeys: given.maxKeys ?? DEFAULT_SHAPE_LIMITS.maxKeys,
    maxItems: given.maxItems ?? DEFAULT_SHAPE_LIMITS.maxItems,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return limits;
}
