import { queryOf, SignatureError, type PlatformOperations } from "../core";
// by module path: a class through core's index is a getter call per request
import { VerifyingRequest } from "../core/verify-request";
import type { Block, BlockSet } from "./blocks";
import type { HttpRequest } from "./handler-types";
import { publicUrlOf } from "./public-url";
import type { Target } from "./route";

/** One block's share of a verified request, still to be normalised. */
export interface Work {
  readonly block: Block;
  readonly payload: unknown;
}

/**
 * A target whose secrets verified the request, with the bytes to parse: the body received, or the plaintext the
 * adapter decrypted from it (WeChat's safe mode).
 */
export type Verified = Target & { readonly body: Uint8Array };

/**
 * Verifies the raw bytes before anything parses them, once: with the block's secrets on a block route, with
 * the app's secrets on a shared route (all its blocks share them), so what an unauthenticated request costs
 * does not grow with the number of tenants.
 */
export function verifyTarget(operations: PlatformOperations, target: Target, request: HttpRequest): Verified {
  // a shared route's blocks are one app's: the first one says how the route's public URL is known
  const block = target.kind === "block" ? target.block : target.group.blocks[0]!;
  const secrets = target.kind === "block" ? target.block.secrets : target.group.secrets;
  const body = operations.verify(new EdgeVerifyRequest(block, request), secrets);
  // the target's fields and the body, written out: a spread followed by a field was a slow property definition
  return target.kind === "block"
    ? { kind: "block", platform: target.platform, block: target.block, body }
    : { kind: "shared", platform: target.platform, group: target.group, body };
}

/**
 * What the adapter verifies, as core's pipeline takes it without wrapping it again: the URL is the block's public
 * URL (`publicUrlOf`) and the query that of the path the server saw, each built only if the adapter reads it.
 */
class EdgeVerifyRequest extends VerifyingRequest {
  constructor(
    private readonly block: Block,
    private readonly request: HttpRequest,
  ) {
    super(request.rawBody, request.headers);
  }

  protected readUrl(): string {
    return publicUrlOf(this.block, this.request);
  }

  protected override readQuery(): URLSearchParams {
    return queryOf(this.request.url);
  }
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
export function splitWork(
  operations: PlatformOperations,
  blocks: BlockSet,
  verified: Verified,
  rawBody: Uint8Array,
  contentType?: string,
): Split {
  const { platform } = verified;
  const payload = operations.parse(rawBody, contentType);
  if (verified.kind === "block")
    return { work: [{ block: verified.block, payload }], unrouted: { count: 0, first: [] } };
  const work: Work[] = [];
  const unrouted = new Set<string>();
  for (const slice of operations.accounts(payload) ?? []) {
    const block = blocks.byAccount(platform, slice.account_id);
    if (block === undefined) {
      unrouted.add(slice.account_id);
      continue;
    }
    if (blocks.groupOf(block) !== verified.group) {
      throw new SignatureError(
        `the signature does not match the secrets of the block for account ${slice.account_id}`,
        { platform },
      );
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
