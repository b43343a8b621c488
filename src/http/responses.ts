import type { HttpResponse } from "./handler";

const JSON_TYPE = "application/json; charset=utf-8";

export function json(status: number, body: unknown, headers?: Readonly<Record<string, string>>): HttpResponse {
  return { status, headers: headers === undefined ? { "content-type": JSON_TYPE } : { "content-type": JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

export function plainText(status: number, body: string): HttpResponse {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

/** The answer a shim gives when another body parser consumed the stream first. */
export function bodyAlreadyParsedResponse(): HttpResponse {
  return json(500, {
    error: {
      code: "body_already_parsed",
      message:
        "the request body was already read by another body parser, so its exact bytes (which the signature covers) are gone: " +
        "mount convotic before express.json() or on its own route",
    },
  });
}
