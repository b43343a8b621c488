import { ConfigError } from "../core";

/**
 * How the in-flight body budget is shared before anyone is authenticated (a signature can only be checked once
 * the whole body is in). Without a policy, 32 connections that each send 1 MiB minus one byte of a declared
 * 1 MiB body and stall hold a 32 MiB budget, and every signed webhook meanwhile is answered 503.
 */
export interface FairnessOptions {
  /** the part of the budget one remote address may hold, 0 < share ≤ 1; default 0.25 (1 turns it off) */
  readonly perAddressShare?: number;
  /** a body whose `Content-Length` is at most this is small (webhooks are a few KiB); default 64 KiB */
  readonly smallBodyBytes?: number;
  /** bytes of the budget only small bodies may use; default a quarter of the budget */
  readonly smallBodyReserve?: number;
  /**
   * the slowest body accepted once it has started: at least `bytesPerSecond` (or the rest of the body) in every
   * window of `windowMs`, else 408 `request_timeout`; `false` turns it off. Default 4 KiB/s over 5 s windows.
   * Enforced by the node and Express shims.
   */
  readonly minBodyRate?: MinBodyRate | false;
}

export interface MinBodyRate {
  readonly bytesPerSecond: number;
  readonly windowMs: number;
}

export const DEFAULT_FAIRNESS = {
  perAddressShare: 0.25,
  smallBodyBytes: 64 * 1024,
  smallBodyReserveShare: 0.25,
  minBodyRate: { bytesPerSecond: 4 * 1024, windowMs: 5_000 },
} as const;

/** Why a reservation was refused: the whole budget (or the large bodies' part of it), or this address's share. */
export type BudgetRefusal = "budget" | "address";

/** What a request is known by before its body is read. */
export interface BodyOwner {
  /** the remote address; `undefined` (the fetch shim) is not held to a per-address share */
  readonly address?: string | undefined;
  /** the `Content-Length` the request declared; absent (chunked) counts as a large body */
  readonly declaredLength?: number | undefined;
}

/**
 * One address per host, one per /64 for IPv6 (a single IPv6 host usually owns a whole /64), and an IPv4 address
 * mapped into IPv6 as the IPv4 address.
 */
export function addressKey(address: string | undefined): string | undefined {
  if (address === undefined || address === "") return undefined;
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice(7);
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::")
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, "").toLowerCase())
    .join(":")}::/64`;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * How many body bytes all requests together may hold while they are being read and handled, and how they are
 * shared: one address holds at most its share, and large bodies leave a reserve that only small ones may use.
 * Past it a request is refused with a 503 and `Retry-After` (the platforms retry), and memory stays bounded
 * whatever the concurrency.
 */
export class BodyBudget {
  private used = 0;
  private usedByLarge = 0;
  private readonly byAddress = new Map<string, number>();
  readonly perAddressLimit: number;
  readonly smallBodyBytes: number;
  readonly smallBodyReserve: number;
  readonly minBodyRate: MinBodyRate | undefined;

  constructor(
    readonly limit: number,
    fairness: FairnessOptions = {},
  ) {
    const share = fairness.perAddressShare ?? DEFAULT_FAIRNESS.perAddressShare;
    if (!(share > 0 && share <= 1))
      throw new ConfigError(`perAddressShare must be above 0 and at most 1, got ${share}`);
    this.perAddressLimit = Math.floor(share * limit);
    this.smallBodyBytes = positive("smallBodyBytes", fairness.smallBodyBytes ?? DEFAULT_FAIRNESS.smallBodyBytes);
    this.smallBodyReserve = fairness.smallBodyReserve ?? Math.floor(DEFAULT_FAIRNESS.smallBodyReserveShare * limit);
    if (!(this.smallBodyReserve >= 0 && this.smallBodyReserve < limit)) {
      throw new ConfigError(
        `smallBodyReserve must be at least 0 and below the in-flight budget (${limit} bytes), got ${this.smallBodyReserve}`,
      );
    }
    const rate = fairness.minBodyRate ?? DEFAULT_FAIRNESS.minBodyRate;
    this.minBodyRate =
      rate === false
        ? undefined
        : {
            bytesPerSecond: positive("minBodyRate.bytesPerSecond", rate.bytesPerSecond),
            windowMs: positive("minBodyRate.windowMs", rate.windowMs),
          };
  }

  /** bytes held right now */
  get inFlight(): number {
    return this.used;
  }

  /** bytes one address (see `addressKey`) holds right now */
  heldBy(address: string): number {
    const key = addressKey(address);
    return key === undefined ? 0 : (this.byAddress.get(key) ?? 0);
  }

  /** A reservation for one request's body: it takes bytes as they arrive and gives them all back once. */
  claim(owner: BodyOwner = {}): BodyClaim {
    const small = owner.declaredLength !== undefined && owner.declaredLength <= this.smallBodyBytes;
    return new BodyClaim(this, addressKey(owner.address), small);
  }

  /** @internal the accounting behind `BodyClaim` */
  take(bytes: number, address: string | undefined, small: boolean): BudgetRefusal | undefined {
    if (this.used + bytes > this.limit) return "budget";
    if (!small && this.usedByLarge + bytes > this.limit - this.smallBodyReserve) return "budget";
    const byAddress = address === undefined ? 0 : (this.byAddress.get(address) ?? 0);
    if (address !== undefined && byAddress + bytes > this.perAddressLimit) return "address";
    this.used += bytes;
    if (!small) this.usedByLarge += bytes;
    if (address !== undefined) this.byAddress.set(address, byAddress + bytes);
    return undefined;
  }

  /** @internal */
  give(bytes: number, address: string | undefined, small: boolean): void {
    this.used = Math.max(0, this.used - bytes);
    if (!small) this.usedByLarge = Math.max(0, this.usedByLarge - bytes);
    if (address === undefined) return;
    const left = (this.byAddress.get(address) ?? 0) - bytes;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  /** Reserves bytes for a body of unknown owner and size (held to the large bodies' part of the budget). */
  tryReserve(bytes: number): boolean {
    return this.take(bytes, undefined, false) === undefined;
  }

  /** Gives back bytes reserved with `tryReserve`. */
  release(bytes: number): void {
    this.give(bytes, undefined, false);
  }
}

/** The bytes one request's body holds in a `BodyBudget`. */
export class BodyClaim {
  private held = 0;

  constructor(
    private readonly budget: BodyBudget,
    private readonly address: string | undefined,
    /** declared at most `smallBodyBytes`: may use the reserve */
    readonly small: boolean,
  ) {}

  get bytes(): number {
    return this.held;
  }

  /** Takes `bytes` more, or says why it cannot. */
  take(bytes: number): BudgetRefusal | undefined {
    const refused = this.budget.take(bytes, this.address, this.small);
    if (refused === undefined) this.held += bytes;
    return refused;
  }

  /** Gives back everything this claim holds; a second call does nothing. */
  releaseAll(): void {
    this.budget.give(this.held, this.address, this.small);
    this.held = 0;
  }
}
