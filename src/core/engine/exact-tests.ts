/*
 * Hand-written tests that answer exactly what a regular expression answers, for patterns every envelope is
 * checked against (the ids in `data`). A `RegExp#test` costs about 600 instructions on a 23-character id (the
 * builtin's entry and exit, then the matcher); a loop over the characters in optimised code about a quarter of
 * that. The module that makes such a pattern registers its test here, and the compiled parsers use it in place
 * of the pattern; each registered test is checked against its pattern by a property test.
 */
const exactTests = new WeakMap<RegExp, (value: string) => boolean>();

/** `pattern`, with `test` registered as answering `pattern.test(value)` for every string. */
export function withExactTest(pattern: RegExp, test: (value: string) => boolean): RegExp {
  exactTests.set(pattern, test);
  return pattern;
}

/** The test registered for `pattern`, if any. */
export function exactTestOf(pattern: RegExp): ((value: string) => boolean) | undefined {
  return exactTests.get(pattern);
}
