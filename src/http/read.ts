import type { IncomingMessage } from "node:http";
import type { BodyBudget, BodyClaim } from "./budget";
import { BusyError, ClientClosedError, SlowBodyError } from "./errors";

/**
 * The one body reader core, under the node/Express shims (`readNodeBody`), the fetch shim (`readWebBody`) and
 * `readBody`: it keeps at most `limit + 1` bytes (enough for the handler to answer 413, never more in memory),
 * takes each kept byte from the request's claim on the shared budget when there is one, and counts every byte
 * that arrived (kept or not) for the slow-body watch and `ClientClosedError`. The shims only decide how chunks
 * arrive and what happens past the limit (node drains the rest so the client can read the 413; fetch cancels).
 */
export class BodyCollector {
  private readonly chunks: Uint8Array[] = [];
  private kept = 0;
  /** bytes that arrived, including those past the limit */
  received = 0;

  constructor(
    private readonly limit: number,
    private readonly claim?: BodyClaim,
  ) {}

  /** Adds one chunk; the `BusyError` to stop with when the budget or the address's share refuses its bytes. */
  add(chunk: Uint8Array | string): BusyError | undefined {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    this.received += buffer.byteLength;
    const room = this.limit + 1 - this.kept;
    if (room <= 0) return undefined;
    const piece = buffer.byteLength > room ? buffer.subarray(0, room) : buffer;
    const refused = this.claim?.take(piece.byteLength);
    if (refused !== undefined) return new BusyError(1, refused);
    this.chunks.push(piece);
    this.kept += piece.byteLength;
    return undefined;
  }

  /** Past the limit: what is kept already makes the 413, nothing more will be. */
  get full(): boolean {
    return this.kept > this.limit;
  }

  body(): Uint8Array {
    return Buffer.concat(this.chunks, this.kept);
  }

  /**
   * `body()` for a node request: its body usually arrives as one chunk, returned as it is. Each chunk Node's HTTP
   * parser hands over is a buffer of its own (copied out of the socket's read), which nothing else holds or writes,
   * so copying it (`Buffer.concat`) only cost an allocation and a copy per request. A web stream's chunk may be
   * shared (a `tee()`d stream hands both branches the same one): those are still copied.
   */
  nodeBody(): Uint8Array {
    const only = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    return only !== undefined && Buffer.isBuffer(only) ? only : this.body();
  }
}

/**
 * Reads a request body keeping at most `limit + 1` bytes: enough for the handler to answer 413, never more in
 * memory. The rest is read and discarded so the client finishes sending and can read that answer.
 */
export async function readBody(stream: AsyncIterable<unknown>, limit: number): Promise<Uint8Array> {
  const collector = new BodyCollector(limit);
  for await (const chunk of stream) collector.add(typeof chunk === "string" ? chunk : (chunk as Uint8Array));
  return collector.body();
}

/**
 * Reads a web stream keeping at most `limit + 1` bytes, then cancels it: enough for the handler to answer 413.
 * What it keeps is taken by `claim` (the caller releases it); past the budget it cancels and throws
 * `BusyError`, and a stream that breaks (the client went away) is a `ClientClosedError`.
 */
export async function readWebBody(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  claim: BodyClaim,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const collector = new BodyCollector(limit, claim);
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch {
        throw new ClientClosedError(collector.received);
      }
      if (next.done) break;
      const refused = collector.add(next.value);
      if (refused !== undefined) throw refused;
      if (collector.full) {
        await reader.cancel();
        break;
      }
    }
  } catch (error) {
    claim.releaseAll();
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  return collector.body();
}

/** The `Content-Length` a request declared, when it declared one (Node has checked its syntax). */
export function declaredLength(req: IncomingMessage): number | undefined {
  const given = req.headers["content-length"];
  if (given === undefined) return undefined;
  const length = Number(given);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** The claim a node request's body is read into: its remote address and declared size decide its share. */
export function claimFor(req: IncomingMessage, budget: BodyBudget): BodyClaim {
  return budget.claim({ address: req.socket.remoteAddress, declaredLength: declaredLength(req) });
}

/**
 * Reads a node request body within the per-request limit and the shared in-flight budget: what it keeps is taken
 * by `claim` (the caller gives it back with `claim.releaseAll()` once the request is handled; without a claim it
 * is taken as `budget.tryReserve` would, and given back with `budget.release(body.byteLength)`). Rejects with
 * `BusyError` past the budget or the address's share (the stream is paused, not destroyed, so the 503 can still
 * be written), with `SlowBodyError` when a started body falls below the budget's minimum rate, and with
 * `ClientClosedError` when the client goes away mid-body; each time it gives back what it took.
 */
export function readNodeBody(
  req: IncomingMessage,
  limit: number,
  budget: BodyBudget,
  claim: BodyClaim = budget.claim(),
): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const collector = new BodyCollector(limit, claim);
    const expected = declaredLength(req);
    let settled = false;
    let watch: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      if (watch !== undefined) clearInterval(watch);
      req.off("data", onData);
      outcome();
    };
    const fail = (error: Error) =>
      settle(() => {
        claim.releaseAll();
        reject(error);
      });
    const rate = budget.minBodyRate;
    // armed only for a body still incomplete after its first chunk: a webhook that arrives at once never pays for it
    const startWatch = () => {
      if (rate === undefined) return;
      const perWindow = Math.ceil((rate.bytesPerSecond * rate.windowMs) / 1000);
      let before = collector.received;
      watch = setInterval(() => {
        const needed = expected === undefined ? perWindow : Math.min(perWindow, expected - before);
        if (collector.received - before < needed) {
          req.pause();
          fail(new SlowBodyError(rate.bytesPerSecond, rate.windowMs, collector.received));
          return;
        }
        before = collector.received;
      }, rate.windowMs);
      watch.unref();
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      if (collector.received === 0 && (expected === undefined || buffer.length < expected)) startWatch();
      const refused = collector.add(buffer);
      if (refused !== undefined) {
        req.pause();
        fail(refused);
      }
    };
    req.on("data", onData);
    req.once("end", () => settle(() => resolve(collector.nodeBody())));
    req.once("error", () => fail(new ClientClosedError(collector.received)));
    req.once("close", () => {
      if (!req.complete) fail(new ClientClosedError(collector.received));
    });
  });
}
