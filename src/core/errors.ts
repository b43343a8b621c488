/**
 * Every failure the library reports on purpose is a `ConvoticError`: it carries a stable `code`, the HTTP
 * `status` the edge should answer with, and (when known) the platform, which also prefixes the message.
 */
export class ConvoticError extends Error {
  override readonly name: string = "ConvoticError";
  readonly code: string;
  readonly status: number;
  readonly platform: string | undefined;

  constructor(code: string, status: number, message: string, options: { platform?: string | undefined; cause?: unknown } = {}) {
    super(options.platform === undefined ? message : `[${options.platform}] ${message}`, { cause: options.cause });
    this.code = code;
    this.status = status;
    this.platform = options.platform;
  }

  /** The JSON body the HTTP edge answers with; never includes secrets or the raw payload. */
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The body is not JSON, or is JSON that is not this platform's webhook shape. */
export class PayloadError extends ConvoticError {
  override readonly name = "PayloadError";
  constructor(platform: string, message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? "invalid_payload", 400, message, { platform, cause: options.cause });
  }
}

/** The request is not authentic: signature or secret header missing or wrong. */
export class SignatureError extends ConvoticError {
  override readonly name = "SignatureError";
  constructor(platform: string, message: string) {
    super("invalid_signature", 401, message, { platform });
  }
}

/** The configuration is unusable (missing secret, unknown platform, bad block); fail closed. */
export class ConfigError extends ConvoticError {
  override readonly name = "ConfigError";
  constructor(message: string, options: { platform?: string; status?: number; code?: string } = {}) {
    super(options.code ?? "invalid_config", options.status ?? 500, message, { platform: options.platform });
  }
}

/** A platform name that no adapter in the registry answers to. */
export class UnknownPlatformError extends ConvoticError {
  override readonly name = "UnknownPlatformError";
  constructor(platform: string, known: readonly string[]) {
    super("unknown_platform", 404, `unknown platform "${platform}" (known: ${known.join(", ")})`);
  }
}

/**
 * An adapter produced an envelope that does not match the catalogue. This is a bug in the adapter, not in the
 * caller's input, hence a 500: the platform should redeliver once the adapter is fixed.
 */
export class EnvelopeError extends ConvoticError {
  override readonly name = "EnvelopeError";
  constructor(platform: string | undefined, message: string, options: { cause?: unknown } = {}) {
    super("invalid_envelope", 500, message, { platform, cause: options.cause });
  }
}

/** An application event given to `createEvent`/`emit` does not match the catalogue. */
export class EventValidationError extends ConvoticError {
  override readonly name = "EventValidationError";
  constructor(type: string, message: string) {
    super("invalid_event", 400, `invalid ${type} event: ${message}`);
  }
}

/** One or more router handlers failed; `errors` holds every failure, in handler order. */
export class DispatchError extends ConvoticError {
  override readonly name = "DispatchError";
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    const first = errors[0];
    const detail = messageOf(first);
    super("handler_failed", 500, `${errors.length} handler(s) failed; first: ${detail}`, { cause: first });
    this.errors = errors;
  }
}

/** The message of anything thrown: an `Error`'s message, or the thrown value as a string. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
