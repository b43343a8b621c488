import { ConvoticError } from "../core";

/** An answer other than 200 that the edge chooses itself (404, 405, 413, 415, 503), with any headers it needs. */
export class HttpError extends ConvoticError {
  override readonly name = "HttpError";
  constructor(
    code: string,
    status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(code, status, message);
  }

  override get responseHeaders(): Readonly<Record<string, string>> {
    return this.headers;
  }
}

export function notFound(message: string): HttpError {
  return new HttpError("not_found", 404, message);
}

/** `allow` lists the methods in header form, e.g. `GET, POST`. */
export function methodNotAllowed(allow: string): HttpError {
  return new HttpError("method_not_allowed", 405, `use ${allow.replace(", ", " or ")}`, { allow });
}
