import type { IncomingMessage } from "node:http";
import type { BodyBudget, BodyClaim } from "./budget";
import { BusyError, ClientClosedError, SlowBodyError } from "./errors";

/**
 * Reads a request body keeping at most `limit + 1` bytes: enough for the handler to answer 413, never more in
 * memory. The rest is read and discarded so the client finishes sending and can read that answer.
 */
export async function readBody(stream: AsyncIterable<unknown>, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of stream) {
    const room = limit + 1 - kept;
    if (room <= 0) continue;
    const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer.length > room ? buffer.subarray(0, room) : buffer);
    kept += Math.min(buffer.length, room);
  }
  return Buffer.concat(chunks, kept);
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
export function readNodeBody(req: IncomingMessage, limit: number, budget: BodyBudget, claim: BodyClaim = budget.claim()): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const expected = declaredLength(req);
    let kept = 0;
    let received = 0;
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
      let before = received;
      watch = setInterval(() => {
        const needed = expected === undefined ? perWindow : Math.min(perWindow, expected - before);
        if (received - before < needed) {
          req.pause();
          fail(new SlowBodyError(rate.bytesPerSecond, rate.windowMs, received));
          return;
        }
        before = received;
      }, rate.windowMs);
      watch.unref();
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
      if (received === 0 && (expected === undefined || buffer.length < expected)) startWatch();
      received += buffer.length;
      const room = limit + 1 - kept;
      if (room <= 0) return;
      const piece = buffer.length > room ? buffer.subarray(0, room) : buffer;
      const refused = claim.take(piece.length);
      if (refused !== undefined) {
        req.pause();
        fail(new BusyError(1, refused));
        return;
      }
      chunks.push(piece);
      kept += piece.length;
    };
    req.on("data", onData);
    req.once("end", () => settle(() => resolve(Buffer.concat(chunks, kept))));
    req.once("error", () => fail(new ClientClosedError(received)));
    req.once("close", () => {
      if (!req.complete) fail(new ClientClosedError(received));
    });
  });
}
