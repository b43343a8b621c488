import { ConvoticError, type LogLevel } from "../core";

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

/** Past the in-flight body budget: a 503 the platform retries, logged as a warning (shedding load is no bug). */
export class BusyError extends HttpError {
  constructor(retryAfterSeconds = 1, reason: "budget" | "address" = "budget") {
    const why = reason === "address" ? "this address already holds its share of the request bodies in flight" : "too many request bodies are in flight";
    super("server_busy", 503, `${why}; retry later`, { "retry-after": String(retryAfterSeconds) });
  }

  override get logLevel(): LogLevel {
    return "warn";
  }
}

/** The client went away before sending its whole body: nobody reads an answer, one log line says what happened. */
export class ClientClosedError extends HttpError {
  constructor(received: number) {
    super("client_closed_request", 499, `the client disconnected before sending the whole body (${received} bytes received)`);
  }

  override get logLevel(): LogLevel {
    return "warn";
  }
}

/**
 * A body that stopped arriving at the minimum rate once it had started: cut with a 408 so it stops holding the
 * in-flight budget (a stalled upload would otherwise hold it until the request timeout).
 */
export class SlowBodyError extends HttpError {
  constructor(bytesPerSecond: number, windowMs: number, received: number) {
    super("request_timeout", 408, `the body arrived slower than ${bytesPerSecond} bytes/s over ${windowMs} ms (${received} bytes received); send it faster`);
  }

  override get logLevel(): LogLevel {
    return "warn";
  }
}
