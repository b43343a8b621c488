/*
 * The retry policy of webhook forwarding (Standard Webhooks, "Deliverability and reliability"): retry network
 * errors, timeouts, 408, 429 and 5xx with exponential backoff and jitter, honouring `Retry-After`; never retry
 * another status (a 4xx is the subscriber telling us the request itself is wrong; a 3xx is not followed).
 */

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export type AttemptOutcome =
  | { readonly kind: "delivered"; readonly status: number }
  | { readonly kind: "retry"; readonly reason: string; readonly retryAfterMs?: number }
  | { readonly kind: "refused"; readonly reason: string };

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before retry number `retry` (1 for the first retry): `base * 2^(retry-1)` capped at `max`, with "equal
 * jitter" (a random point in its upper half) so subscribers that failed together do not retry together. A
 * `Retry-After` longer than that wins, capped at `max` too, so every wait stays bounded.
 */
export function backoffMs(retry: number, policy: BackoffPolicy, random: () => number, retryAfter?: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** (retry - 1));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.min(policy.maxMs, Math.max(jittered, retryAfter ?? 0));
}

export function outcomeOf(status: number, retryAfter: number | undefined): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: "delivered", status };
  if (isRetryableStatus(status))
    return {
      kind: "retry",
      reason: `HTTP ${status}`,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
    };
  return { kind: "refused", reason: `HTTP ${status} (not retried)` };
}
