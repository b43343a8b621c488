import { SignatureError, type Normalizer } from "../core";
import type { Block, BlockSet, SecretsGroup } from "./blocks";
import type { HttpRequest } from "./handler";
import type { Target } from "./route";

/** One block's share of a verified request, still to be normalised. */
export interface Work {
  readonly block: Block;
  readonly payload: unknown;
}

/** A verified target: for a shared route, the secrets groups whose secrets verified the request. */
export type Verified =
  | { readonly kind: "block"; readonly platform: string; readonly block: Block }
  | { readonly kind: "shared"; readonly platform: string; readonly groups: ReadonlySet<SecretsGroup> };

/**
 * Verifies the raw bytes before anything parses them. A block route checks that block's secrets; a shared
 * route tries every candidate secrets group (none short-circuits) and keeps those that verify.
 */
export function verifyTarget(normalizer: Normalizer, target: Target, request: HttpRequest): Verified {
  const { platform } = target;
  if (target.kind === "block") {
    normalizer.verify(platform, request, target.block.secrets);
    return target;
  }
  const verified = new Set<SecretsGroup>();
  let first: unknown;
  for (const group of target.groups) {
    try {
      normalizer.verify(platform, request, group.secrets);
      verified.add(group);
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      first ??= error;
    }
  }
  if (verified.size === 0) throw first ?? new SignatureError(platform, "no configured secret verifies this request");
  return { kind: "shared", platform, groups: verified };
}

/** How many unrouted account ids an answer or a log line names; the rest are only counted. */
export const UNROUTED_SHOWN = 10;

/** Accounts no block is configured for: how many, and the first few ids (a body may name thousands). */
export interface Unrouted {
  readonly count: number;
  readonly first: readonly string[];
}

/** What a verified request splits into: work per block, and the accounts no block is configured for. */
export interface Split {
  readonly work: readonly Work[];
  readonly unrouted: Unrouted;
}

/**
 * Parses the verified bytes and hands each account's slice to its block. A slice whose block has other secrets
 * than the ones that verified makes the whole request a 401: one app's secret never reaches another app's block.
 */
export function splitWork(normalizer: Normalizer, blocks: BlockSet, verified: Verified, rawBody: Uint8Array): Split {
  const { platform } = verified;
  const payload = normalizer.parse(platform, rawBody);
  if (verified.kind === "block") return { work: [{ block: verified.block, payload }], unrouted: { count: 0, first: [] } };
  const work: Work[] = [];
  const unrouted = new Set<string>();
  for (const slice of normalizer.accounts(platform, payload) ?? []) {
    const block = blocks.byAccount(platform, slice.account_id);
    if (block === undefined) {
      unrouted.add(slice.account_id);
      continue;
    }
    const group = blocks.groupOf(block);
    if (group === undefined || !verified.groups.has(group)) {
      throw new SignatureError(platform, `the signature does not match the secrets of the block for account ${slice.account_id}`);
    }
    work.push({ block, payload: slice.payload });
  }
  const first: string[] = [];
  for (const account of unrouted) {
    if (first.length === UNROUTED_SHOWN) break;
    first.push(account.slice(0, 128));
  }
  return { work, unrouted: { count: unrouted.size, first } };
}
