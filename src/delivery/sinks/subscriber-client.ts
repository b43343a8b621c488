import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { messageOf } from "../../core";

/** What a subscriber answered: the status and its `Retry-After`, read as soon as the headers arrive. */
export interface SubscriberAnswer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

/** The attempt took longer than the sink's `timeout_ms`. */
export class SubscriberTimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`timeout after ${timeoutMs} ms`);
  }
}

/**
 * An answer's body is read and dropped so the connection serves the next delivery; one larger than this is not
 * worth the wait, and its connection is closed instead.
 */
const MAX_DRAINED_BYTES = 64 * 1024;

/**
 * POSTs deliveries to one subscriber URL over `node:http` or `node:https` with a keep-alive agent: one connection
 * serves delivery after delivery (a sink sends one at a time). Global `fetch` did the same job at 211–218 µs of CPU
 * per POST on Node 20 against 44–49 µs for this, with the local server counted in both (its Request, Response,
 * Headers and streams, and an `AbortSignal.any` per attempt; docs/performance.md). Redirects are not followed (a 3xx is the subscriber's answer), and no proxy variable is read,
 * as with fetch on Node 20. The timeout covers the whole attempt, from the request to the end of the answer.
 */
export class SubscriberClient {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(url: string) {
    this.url = new URL(url);
    const secure = this.url.protocol === "https:";
    this.agent = secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 1 })
      : new HttpAgent({ keepAlive: true, maxSockets: 1 });
    this.send = secure ? (httpsRequest as typeof httpRequest) : httpRequest;
  }

  /**
   * Resolves with the answer once its headers arrive; rejects with the socket's error (its `code`, such as
   * ECONNREFUSED), a `SubscriberTimeoutError`, or an `AbortError` when `stop` aborts.
   */
  post(
    headers: Readonly<Record<string, string>>,
    body: string,
    timeoutMs: number,
    stop: AbortSignal,
  ): Promise<SubscriberAnswer> {
    return new Promise((resolve, reject) => {
      if (stop.aborted) return reject(abortError());
      let request: ClientRequest | undefined;
      let answered = false;
      const end = (error?: Error) => {
        clearTimeout(timer);
        stop.removeEventListener("abort", onStop);
        if (error !== undefined) request?.destroy(error);
        if (!answered) {
          answered = true;
          reject(error ?? new Error("the subscriber closed the connection without an answer"));
        }
      };
      const onStop = () => end(abortError());
      const timer = setTimeout(() => end(new SubscriberTimeoutError(timeoutMs)), timeoutMs);
      stop.addEventListener("abort", onStop, { once: true });
      try {
        request = this.send(this.url, {
          method: "POST",
          agent: this.agent,
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        });
      } catch (error) {
        return end(error as Error);
      }
      request.on("error", (error) => end(error));
      request.on("response", (response: IncomingMessage) => {
        answered = true;
        const retryAfter = response.headers["retry-after"];
        resolve({ status: response.statusCode ?? 0, retryAfter });
        let bytes = 0;
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_DRAINED_BYTES) response.destroy();
        });
        response.on("close", () => end());
        response.on("error", () => undefined);
      });
      request.end(body);
    });
  }

  /** Closes the kept connection. */
  close(): void {
    this.agent.destroy();
  }
}

/**
 * What a failed `post` is called in a dead letter and a log line: a socket's error by its code (ECONNREFUSED,
 * ECONNRESET…), a timeout or a stop by its message (`timeout after N ms`).
 */
export function failureReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : messageOf(error);
}

function abortError(): Error {
  return new DOMException("This operation was aborted", "AbortError");
}
