/*
 * Registries whose entries are loaded when first read. Loading an adapter builds its zod schemas (and loads zod);
 * a process that serves one platform should not pay for six, and `require("convotic")` should pay for none. The
 * laziness lives here, in the registry, so an adapter module is written as any other module.
 */

/**
 * An object with one enumerable key per loader. The first read of a key runs its loader and turns the key into a
 * plain data property holding the value, so every later read is an ordinary property read (the loader never runs
 * again). Assigning a key before it was read replaces the loader's value, as on a literal.
 */
// the return type is spelt out (no alias) so that declarations show the record's entries, not `lazyRecord`'s types
export function lazyRecord<L extends Record<string, () => unknown>>(
  loaders: L,
): { readonly [K in keyof L]: ReturnType<L[K]> } {
  const record = {};
  const settle = (key: string, value: unknown) =>
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  for (const key of Object.keys(loaders)) {
    Object.defineProperty(record, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = loaders[key]!();
        settle(key, value);
        return value;
      },
      set(value: unknown) {
        settle(key, value);
      },
    });
  }
  return record as { readonly [K in keyof L]: ReturnType<L[K]> };
}

/**
 * The keys of a record whose value is not `undefined`, without loading a lazy entry: an entry still to be loaded
 * (an accessor) counts as present. For a registry a caller may have built with some keys set to `undefined`.
 */
export function presentKeys(record: object): string[] {
  return Object.keys(record).filter((key) => {
    const property = Object.getOwnPropertyDescriptor(record, key)!;
    return property.get !== undefined || property.value !== undefined;
  });
}
