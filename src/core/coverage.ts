import type { EventType } from "./catalogue";

/*
 * The one form of an adapter's coverage declaration: every webhook kind the platform documents and what becomes of
 * it. Each adapter folder exports its table from `coverage.ts`, beside the adapter; the table in
 * docs/adapters/<platform>.md is rendered from it, and the adapter's test normalises each row's example and checks
 * the row, so code, fixtures and docs cannot drift apart. Adapters never import their table: it costs nothing at
 * run time.
 */

/** One documented webhook kind: mapped to event types, reported unhandled with a reason, or both. */
export interface CoverageRow {
  /** the kind as the platform documents it (markdown): a subscription field, an event or message type… */
  readonly webhook: string;
  /** the event types its example yields, each once, in the order they first appear */
  readonly emits?: readonly EventType[];
  /** an unhandled record its example yields: the record's `kind` (`<x>` stands for one segment) and why */
  readonly reported?: { readonly kind: string; readonly why: string };
  /** the fixture under fixtures/<platform>/ showing it, or, for a kind without one, the body to normalise */
  readonly example: string | { readonly body: unknown };
}

export interface CoverageTable {
  readonly platform: string;
  /** the platform documentation the rows follow */
  readonly sources: readonly string[];
  readonly rows: readonly CoverageRow[];
}
