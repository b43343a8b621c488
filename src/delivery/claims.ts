import { messageOf, type Logger } from "../core";
import type { DeliveryInfo } from "./delivery-types";
import { isReported } from "./dependency-health";
import { StoreUnavailableError, type Claim, type IdempotencyStore } from "./store";

/** A store's answer to one claim, or why it gave none. */
export type Claimed = Claim | StoreUnavailableError;

/** A claim this delivery holds, and whether its work succeeded. */
export interface Held {
  readonly key: string;
  readonly token: string;
  readonly ok: boolean;
}

/**
 * The delivery step's side of the idempotency store: claims keys, then commits or releases them. A store that
 * answers immediately (`store.immediate`) is driven without a promise; no store at all means every claim is ours.
 */
export class Claims {
  private readonly immediate: IdempotencyStore["immediate"];

  constructor(
    private readonly store: IdempotencyStore | undefined,
    private readonly logger: Logger,
  ) {
    this.immediate = store?.immediate;
  }

  /**
   * Claims every key at once (a Redis client pipelines them); a store error answers for its key only. A store that
   * answers immediately gives the array itself: the caller goes on without waiting a microtask per key.
   */
  claim(keys: readonly string[], leaseMs: number): Claimed[] | Promise<Claimed[]> {
    const { store, immediate } = this;
    if (store === undefined) return keys.map(() => ({ state: "yours", token: "" }));
    if (immediate !== undefined) {
      return keys.map((key) => {
        try {
          return immediate.claimNow(key, leaseMs);
        } catch (error) {
          return this.unavailable(error);
        }
      });
    }
    return Promise.allSettled(keys.map((key) => store.claim(key, leaseMs))).then((claims) =>
      claims.map((claim) => (claim.status === "fulfilled" ? claim.value : this.unavailable(claim.reason))),
    );
  }

  /**
   * Commits what succeeded, releases what failed; a store error here is logged (the lease expires on its own).
   * Returns a promise only when there is something to wait for (a store that does not answer immediately).
   */
  settle(held: readonly Held[], ttlMs: number, info: DeliveryInfo): Promise<void> | undefined {
    const { store, immediate } = this;
    if (store === undefined) return undefined;
    if (immediate !== undefined) {
      for (const { key, token, ok } of held) {
        try {
          if (ok) immediate.commitNow(key, token, ttlMs);
          else immediate.releaseNow(key, token);
        } catch (error) {
          this.settleFailed(key, ok, info, error);
        }
      }
      return undefined;
    }
    return Promise.all(
      held.map(async ({ key, token, ok }) => {
        try {
          if (ok) await store.commit(key, token, ttlMs);
          else await store.release(key, token);
        } catch (error) {
          this.settleFailed(key, ok, info, error);
        }
      }),
    ).then(() => undefined);
  }

  private unavailable(reason: unknown): StoreUnavailableError {
    return reason instanceof StoreUnavailableError
      ? reason
      : new StoreUnavailableError(this.store?.kind ?? "none", reason);
  }

  private settleFailed(key: string, ok: boolean, info: DeliveryInfo, error: unknown): void {
    const fields = {
      ...(info.requestId === undefined ? {} : { request_id: info.requestId }),
      id: key,
      error: messageOf(error),
    };
    if (isReported(error)) {
      // the store reports its outage once per interval and sends the commit or release again once it answers
      this.logger.debug?.(
        ok
          ? "commit failed; the store sends it again once it answers"
          : "release failed; the store sends it again once it answers",
        fields,
      );
      return;
    }
    const message = ok
      ? "commit failed: a redelivery after the lease may run this again"
      : "release failed: the claim expires with its lease";
    this.logger.error(message, fields);
  }
}
