/** What a signature diagnosis found (src/inspect/diagnose.ts); alone so each finding's module can name it. */

export type ExplanationKind =
  | "verifies_now"
  | "no_signature_header"
  | "wrong_header_name"
  | "body_reserialised"
  | "non_ascii_unescaped"
  | "non_ascii_escaped"
  | "wrong_secret"
  | "wrong_route"
  | "url_rewritten"
  | "clock_skew"
  | "no_match";

/** One finding: what was checked and matched, and what to change. */
export interface Explanation {
  /** which check matched */
  readonly kind: ExplanationKind;
  /** what matched, naming headers and blocks (never a secret) */
  readonly message: string;
  /** what to change */
  readonly fix: string;
}
