import type { Readable, Writable } from "node:stream";

/** Where a long-running command (`serve`) hears SIGTERM and SIGINT: `process`, or an emitter in tests. */
export interface SignalSource {
  on(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
  once(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
  removeListener(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
}

/** The streams a command talks to; tests pass their own. */
export interface CliIO {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** defaults to `process` */
  readonly signals?: SignalSource;
}

/**
 * Exit codes: 1 for bad input (the body), 2 for bad usage (flags, platform, type), 3 when `serve` stopped
 * abnormally (its stdout died, or the shutdown grace period ended with work abandoned).
 */
export const EXIT = { ok: 0, input: 1, usage: 2, abandoned: 3 } as const;

/** A failure that ends the command with one line on stderr and this exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

export function line(stream: Writable, text: string): void {
  stream.write(text + "\n");
}
