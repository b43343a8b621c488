import type { ErrorCode, ErrorOptions } from "./error-codes";

export type { ErrorCode, ErrorOptions } from "./error-codes";

export type LogLevel = "info" | "warn" | "error";

/**
 * Every failure the library reports on purpose is a `ConvoticError`: it carries a stable `code` (an `ErrorCode`),
 * the HTTP `status` the edge should answer with, and (when known) the platform, which also prefixes the message.
 * It builds no HTTP answer: the edge does (`errorResponse` in src/http/responses.ts).
 *
 * One constructor convention for every error class: the message first, then one options object
 * (`new ConvoticError(message, { code, status, platform, cause })`). Classes whose message is made from facts
 * (`DeadlineError(label, deadlineMs)`, `UnknownPlatformError(platform, known)`) take those facts instead.
 */
export class ConvoticError extends Error {
  override readonly name: string = "ConvoticError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly platform: string | undefined;

  constructor(message: string, options: ErrorOptions) {
    super(options.platform === undefined ? message : `[${options.platform}] ${message}`, { cause: options.cause });
    this.code = options.code;
    this.status = options.status;
    this.platform = options.platform;
  }

  /** The JSON body the HTTP edge answers with; never includes secrets or the raw payload. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }

  /** What the caller is told. Subclasses whose message may carry someone else's details answer a fixed text. */
  get publicMessage(): string {
    return this.message;
  }

  /** What the edge logs about this failure; `undefined` when the message must not be logged (it may quote the body). */
  get logDetail(): string | undefined {
    return this.message;
  }

  /** Our faults are errors, refused requests are informational; subclasses refine it. */
  get logLevel(): LogLevel {
    return this.status >= 500 ? "error" : "info";
  }
}

/** The body is not JSON, or is JSON that is not this platform's webhook shape. */
export class PayloadError extends ConvoticError {
  override readonly name = "PayloadError";
  constructor(
    message: string,
    options: {
      platform: string;
      cause?: unknown;
      code?: "invalid_payload" | "invalid_json";
      /** the message may quote the body (a parser's own words): answered to the sender, never logged */
      quotesBody?: boolean;
    },
  ) {
    super(message, {
      code: options.code ?? "invalid_payload",
      status: 400,
      platform: options.platform,
      cause: options.cause,
    });
    this.quotesBody = options.quotesBody === true || this.code === "invalid_json";
  }

  private readonly quotesBody: boolean;

  /**
   * JSON.parse quotes the body in its message: the sender may read it back, the log never holds it. A schema
   * failure (`invalid_payload`) names field paths and expected types only, which is what an operator needs to see.
   */
  override get logDetail(): string | undefined {
    return this.quotesBody ? undefined : this.message;
  }
}

/** The request is not authentic: signature or secret header missing or wrong. */
export class SignatureError extends ConvoticError {
  override readonly name = "SignatureError";
  constructor(message: string, options: { platform: string; cause?: unknown }) {
    super(message, { code: "invalid_signature", status: 401, ...options });
  }

  /** Repeated forgeries or a rotated secret deserve attention without being our fault. */
  override get logLevel(): LogLevel {
    return "warn";
  }
}

/** The configuration is unusable (missing secret, unknown platform, bad block); fail closed. */
export class ConfigError extends ConvoticError {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    options: {
      platform?: string;
      status?: number;
      code?: "invalid_config" | "unknown_event_type";
      cause?: unknown;
    } = {},
  ) {
    super(message, {
      code: options.code ?? "invalid_config",
      status: options.status ?? 500,
      platform: options.platform,
      cause: options.cause,
    });
  }
}

/** A platform name that no adapter in the registry answers to. */
export class UnknownPlatformError extends ConvoticError {
  override readonly name = "UnknownPlatformError";
  constructor(platform: string, known: readonly string[]) {
    super(`unknown platform "${platform}" (known: ${known.join(", ")})`, { code: "unknown_platform", status: 404 });
  }
}

/**
 * An adapter produced an envelope that does not match the catalogue. This is a bug in the adapter, not in the
 * caller's input, hence a 500: the platform should redeliver once the adapter is fixed.
 */
export class EnvelopeError extends ConvoticError {
  override readonly name = "EnvelopeError";
  constructor(message: string, options: { platform: string | undefined; cause?: unknown }) {
    super(message, { code: "invalid_envelope", status: 500, platform: options.platform, cause: options.cause });
  }
}

/** An application event given to `createEvent`/`emit` does not match the catalogue. */
export class EventValidationError extends ConvoticError {
  override readonly name = "EventValidationError";
  constructor(type: string, message: string) {
    super(`invalid ${type} event: ${message}`, { code: "invalid_event", status: 400 });
  }
}

/** One or more router handlers failed; `errors` holds every failure, in handler order. */
export class DispatchError extends ConvoticError {
  override readonly name = "DispatchError";
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    const first = errors[0];
    const detail = messageOf(first);
    super(`${errors.length} handler(s) failed; first: ${detail}`, {
      code: "handler_failed",
      status: 500,
      cause: first,
    });
    this.errors = errors;
  }

  /** A handler's message may hold anything (a database error, a password): it is logged, never answered. */
  override get publicMessage(): string {
    return "an event handler failed; answering 500 so the platform redelivers";
  }
}

/** The event sink refused a batch; the platform is answered 500 so it redelivers. */
export class SinkError extends ConvoticError {
  override readonly name = "SinkError";
  constructor(cause: unknown, options: { code?: ErrorCode; status?: number } = {}) {
    super(`the event sink failed: ${messageOf(cause)}`, {
      code: options.code ?? "sink_failed",
      status: options.status ?? 500,
      cause,
    });
  }

  override get publicMessage(): string {
    return "the event sink failed; answering 500 so the platform redelivers";
  }
}

/** Anything thrown that is not a `ConvoticError`: a bug. Answered as a bare 500, logged with its message. */
export class InternalError extends ConvoticError {
  override readonly name = "InternalError";
  constructor(cause: unknown) {
    super(messageOf(cause), { code: "internal_error", status: 500, cause });
  }

  override get publicMessage(): string {
    return "internal error";
  }
}

/** Every failure as a `ConvoticError`, so the edge answers and logs through one interface. */
export function asConvoticError(error: unknown): ConvoticError {
  return error instanceof ConvoticError ? error : new InternalError(error);
}

/** The message of anything thrown: an `Error`'s message, or the thrown value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
