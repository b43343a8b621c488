import { ConvoticError, type ErrorOptions, type LogLevel } from "../core";

/** An answer other than 200 that the edge chooses itself (404, 405, 413, 415, 503), with any headers it needs. */
export class HttpError extends ConvoticError {
  override readonly name = "HttpError";
  /** headers the answer needs besides the content type (`Allow` on a 405, `Retry-After` on a 503) */
  readonly headers: Readonly<Record<string, string>>;

  constructor(message: string, options: ErrorOptions & { readonly headers?: Readonly<Record<string, string>> }) {
    super(message, options);
    this.headers = options.headers ?? {};
  }
}

export function notFound(message: string): HttpError {
  return new HttpError(message, { code: "not_found", status: 404 });
}

/** `allow` lists the methods in header form, e.g. `GET, POST`. */
export function methodNotAllowed(allow: string): HttpError {
  return new HttpError(`use ${allow.replace(", ", " or ")}`, {
    code: "method_not_allowed",
    status: 405,
    headers: { allow },
  });
}

/** Past the in-flight body budget: a 503 the platform retries, logged as a warning (shedding load is no bug). */
export class BusyError extends HttpError {
  constructor(retryAfterSeconds = 1, reason: "budget" | "address" = "budget") {
    const why =
      reason === "address"
        ? "this address already holds its share of the request bodies in flight"
        : "too many request bodies are in flight";
    super(`${why}; retry later`, {
      code: "server_busy",
      status: 503,
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }

  override get logLevel(): LogLevel {
    return "warn";
  }
}

/** The client went away before sending its whole body: nobody reads an answer, one log line says what happened. */
export class ClientClosedError extends HttpError {
  constructor(received: number) {
    super(`the client disconnected before sending the whole body (${received} bytes received)`, {
      code: "client_closed_request",
      status: 499,
    });
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
    super(
      `the body arrived slower than ${bytesPerSecond} bytes/s over ${windowMs} ms (${received} bytes received); send it faster`,
      {
        code: "request_timeout",
        status: 408,
      },
    );
  }

  override get logLevel(): LogLevel {
    return "warn";
  }
}
