/*
 * Request headers, as every layer reads them: a leaf module (it imports nothing), so the adapter contract and the
 * signature helpers both use it without importing each other.
 */

/** Request headers as Node gives them; names are matched case-insensitively. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Case-insensitive header lookup; a repeated header yields its first value. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  const wanted = name.toLowerCase();
  // own enumerable keys in order, as Object.entries walks them, without building the entries; Node's own header
  // names are already lower case, so most keys are compared without lower-casing them
  for (const key in headers) {
    if (!Object.hasOwn(headers, key) || (key !== wanted && key.toLowerCase() !== wanted)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    return typeof value === "string" ? value : value[0];
  }
  return undefined;
}
