/**
 * Content types, decided per adapter: each adapter declares the media types it parses (`contentTypes`, JSON by
 * default), and the edge and the pipeline read the request's `Content-Type` through these helpers. Core never
 * asks which platform a body is for, only which media type it is.
 */

/** What an adapter parses when it declares nothing: every JSON platform. */
export const DEFAULT_CONTENT_TYPES: readonly string[] = ["application/json"];

/** The media type of a `Content-Type` value, lowercase, without parameters; `undefined` for none or an empty one. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semicolon = contentType.indexOf(";");
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === "" ? undefined : type;
}

/**
 * Whether a `Content-Type` names one of `accepted` (media types, lowercase) with no charset or a UTF-8 one: the
 * bytes are signed and read as UTF-8, so another charset would be decoded wrongly after verifying.
 */
export function acceptsContentType(accepted: readonly string[], contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  // what most platforms send, answered without splitting it
  if (accepted.includes(contentType)) return true;
  const [type, ...params] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type === undefined || !accepted.includes(type)) return false;
  return params.every(
    (param) => !param.startsWith("charset=") || ["utf-8", "utf8"].includes(param.slice(8).replaceAll('"', "")),
  );
}

/** Whether a media type is XML (`text/xml`, `application/xml`, `application/*+xml`). */
export function isXmlMediaType(type: string | undefined): boolean {
  return type === "text/xml" || type === "application/xml" || (type?.endsWith("+xml") ?? false);
}

/** The media type of a form body. */
export const FORM_MEDIA_TYPE = "application/x-www-form-urlencoded";
