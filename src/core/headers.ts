/*
 * Request headers, as every layer reads them: a leaf module (it imports nothing), so the adapter contract and the
 * signature helpers both use it without importing each other.
 */

/** Request headers as Node gives them; names are matched case-insensitively. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Case-insensitive header lookup; a repeated header yields its first value. A key of another length than the name
 * is skipped before it is lower-cased: lower-casing keeps a string's length except for U+0130, which becomes `i`
 * and U+0307, so only a name holding U+0307 can be matched by a longer key. The edge looks up `content-encoding`,
 * usually absent, on every request, and lower-casing every header name to find nothing cost more than the rest of
 * the lookup (issue 28).
 */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return lookUp(headers, wanted, lengthOf(wanted));
}

/**
 * `headerValue(headers, name)` for a name known in advance (an adapter's signature header): the name is lower-cased
 * once, here, instead of on every request (a few hundred instructions of Telegram's verify, issue 28).
 */
export function headerLookup(name: string): (headers: HeaderMap) => string | undefined {
  const wanted = name.toLowerCase();
  const length = lengthOf(wanted);
  return (headers) => lookUp(headers, wanted, length);
}

/** The length a matching key must have, or -1 when any length may match (a name holding U+0307, see above). */
function lengthOf(wanted: string): number {
  return wanted.includes("\u0307") ? -1 : wanted.length;
}

function lookUp(headers: HeaderMap, wanted: string, length: number): string | undefined {
  // own enumerable keys in order, as Object.entries walks them, without building the entries; Node's own header
  // names are already lower case, so most keys are compared without lower-casing them
  for (const key in headers) {
    if (length !== -1 && key.length !== length) continue;
    if (!Object.hasOwn(headers, key) || (key !== wanted && key.toLowerCase() !== wanted)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    return typeof value === "string" ? value : value[0];
  }
  return undefined;
}
