// The shapes of the conformance suite: what it takes (options, the test runner) and what a fixture is once read
// (split from conformance.ts, which registers the checks).
import type { ContextInput } from "../core";

/** The part of a test runner the suite needs: jest, vitest (globals), mocha, or `node:test`. */
export interface TestRunner {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => void | Promise<void>): unknown;
}

export interface ConformanceOptions<S> {
  /**
   * the platform's fixtures: raw bodies as `<case>.json` (or `<case>.form` for forms, `<case>.xml` for XML: the
   * extension gives the content type) with the reviewed `<case>.golden.json` beside each
   */
  readonly fixturesDir: string;
  /**
   * the URL fixtures are signed for and verified against (with its query, if the platform signs one); default
   * `https://convotic.test/webhooks/blk_<platform>_test`
   */
  readonly url?: string;
  /** `valid` signs the fixtures at run time; `wrong` must be refused */
  readonly secrets: { readonly valid: S; readonly wrong: S };
  /** for an adapter with a GET handshake: a query `valid` accepts (answered with `challenge`) and one it refuses */
  readonly handshake?: { readonly query: string; readonly challenge: string; readonly invalidQuery: string };
  /** defaults to workspace `ws_test`, block `blk_<platform>_test`, received at 2026-11-22T12:00:00.000Z */
  readonly context?: ContextInput;
  /** fixtures that prove the behaviours a body alone cannot show */
  readonly cases?: {
    /** a body holding a kind the adapter does not map: it must be reported unhandled, never thrown or dropped */
    readonly unknown?: string;
    /**
     * a body batching `items` raw items: every one must come out as an event or an unhandled record; `false`
     * for a platform that sends one item per body (Telegram)
     */
    readonly batch?: { readonly fixture: string; readonly items: number } | false;
    /** a batch in which one item is malformed: it alone is reported, the others are emitted (with `batch: false`, a malformed body item) */
    readonly poisoned?: string;
    /**
     * for an adapter with a `drift` catalogue: the fixtures of kinds or values the platform does not document,
     * which must report drift; every other fixture must report none (docs/drift.md)
     */
    readonly drift?: readonly string[];
  };
  /** rewrite the golden files instead of comparing (default: `UPDATE_GOLDEN=1`) */
  readonly update?: boolean;
  /** defaults to the runner's globals (`describe`, `it`), else `node:test` */
  readonly runner?: TestRunner;
}

/** What one fixture is, read once. */
export interface Fixture {
  readonly name: string;
  readonly path: string;
  readonly goldenPath: string;
  readonly body: Buffer;
  readonly contentType: string;
}
