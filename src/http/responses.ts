import type { Acknowledgement, ConvoticError } from "../core";
import { DeliveryError } from "../delivery";
import { HttpError } from "./errors";
import type { HttpResponse } from "./handler-types";

const JSON_TYPE = "application/json; charset=utf-8";

export function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): HttpResponse {
  return {
    status,
    headers: headers === undefined ? { "content-type": JSON_TYPE } : { "content-type": JSON_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The usual answer to a delivered webhook, `{"ok":true,"events":N,"unhandled":M}`: the bytes `json(200, { ok: true,
 * events, unhandled })` gives for two counts, written out instead of stringifying an object per request.
 */
export function countsResponse(events: number, unhandled: number): HttpResponse {
  return {
    status: 200,
    headers: { "content-type": JSON_TYPE },
    body: `{"ok":true,"events":${events},"unhandled":${unhandled}}`,
  };
}

/** A JSON answer no cache may keep: health, readiness and the inspector's API change from one request to the next. */
export function uncachedJson(status: number, body: unknown): HttpResponse {
  return json(status, body, { "cache-control": "no-store" });
}

export function plainText(status: number, body: string): HttpResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

/** What a shim refuses (and logs, through the handler) when another body parser consumed the stream first. */
export function bodyAlreadyParsedError(): HttpError {
  return new HttpError(
    "the request body was already read by another body parser, so its exact bytes (which the signature covers) are gone: " +
      "mount convotic before express.json() or on its own route",
    { code: "body_already_parsed", status: 500 },
  );
}

/** An adapter's own answer to a handled delivery (Twilio's empty TwiML, WeChat's `success`). */
export function acknowledgement(ack: Acknowledgement): HttpResponse {
  return { status: ack.status, headers: { "content-type": ack.contentType }, body: ack.body };
}

/** The answer a shim gives when another body parser consumed the stream first. */
export function bodyAlreadyParsedResponse(): HttpResponse {
  return errorResponse(bodyAlreadyParsedError());
}

/**
 * The HTTP answer to a failure, built here at the edge (core errors carry only `code`, `status` and platform):
 * `{"error": {"code", "message"}}` as JSON, with the headers the status needs (`Allow` on a 405, `Retry-After`
 * on a 503 the edge or the delivery chose). Never includes secrets or the raw payload (`publicMessage`).
 */
export function errorResponse(error: ConvoticError): HttpResponse {
  return json(error.status, { error: { code: error.code, message: error.publicMessage } }, headersOf(error));
}

function headersOf(error: ConvoticError): Readonly<Record<string, string>> | undefined {
  if (error instanceof HttpError) return error.headers;
  if (error instanceof DeliveryError && error.status === 503)
    return { "retry-after": String(error.outcome.retry_after_s ?? 1) };
  return undefined;
}
