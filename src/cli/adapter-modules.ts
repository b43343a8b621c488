import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { messageOf, PlatformName, type PlatformAdapter } from "../core";
import { CliError, EXIT } from "./io";

/**
 * Loads the adapters a config names (`"adapters": ["./adapters/viber.js", "some-package"]`): a path is resolved
 * from the config file's folder, anything else is a package name resolved from there too. A module may export its
 * adapters under any names, as `default`, or both; every export shaped like an adapter is taken.
 */
export async function loadAdapterModules(
  specs: readonly string[],
  baseDir: string,
  builtIn: readonly string[],
): Promise<Record<string, PlatformAdapter>> {
  const loaded: Record<string, PlatformAdapter> = {};
  for (const spec of specs) {
    const module = await importModule(spec, baseDir);
    const found = Object.values(module).flatMap((value) =>
      isAdapter(value)
        ? [value]
        : isAdapter((value as { default?: unknown })?.default)
          ? [(value as { default: PlatformAdapter }).default]
          : [],
    );
    const adapters = [...new Set(found)];
    if (adapters.length === 0) {
      throw new CliError(
        `adapters: ${spec} exports no adapter (an object with platform, payload, secrets, emits, verify, sign and normalize)`,
        EXIT.input,
      );
    }
    for (const adapter of adapters) {
      if (builtIn.includes(adapter.platform))
        throw new CliError(`adapters: ${spec} defines "${adapter.platform}", a built-in platform`, EXIT.input);
      if (Object.hasOwn(loaded, adapter.platform))
        throw new CliError(`adapters: "${adapter.platform}" is defined twice`, EXIT.input);
      loaded[adapter.platform] = adapter;
    }
  }
  return loaded;
}

async function importModule(spec: string, baseDir: string): Promise<Record<string, unknown>> {
  const isPath = spec.startsWith(".") || isAbsolute(spec);
  let target: string;
  try {
    target = isPath ? resolve(baseDir, spec) : require.resolve(spec, { paths: [baseDir] });
  } catch {
    throw new CliError(`adapters: cannot find package "${spec}" from ${baseDir}`, EXIT.input);
  }
  if (isPath && !existsSync(target)) throw new CliError(`adapters: no file ${target}`, EXIT.input);
  try {
    // require loads CommonJS, and ES modules too on Node >= 20.19; older Node 20 needs import() for those
    return require(target) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_REQUIRE_ESM")
      throw new CliError(`adapters: cannot load ${spec}: ${messageOf(error)}`, EXIT.input);
  }
  try {
    return (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`adapters: cannot load ${spec}: ${messageOf(error)}`, EXIT.input);
  }
}

function isAdapter(value: unknown): value is PlatformAdapter {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Partial<Record<keyof PlatformAdapter, unknown>>;
  return (
    typeof candidate.platform === "string" &&
    PlatformName.safeParse(candidate.platform).success &&
    Array.isArray(candidate.emits) &&
    typeof candidate.verify === "function" &&
    typeof candidate.sign === "function" &&
    typeof candidate.normalize === "function" &&
    typeof (candidate.payload as { safeParse?: unknown } | undefined)?.safeParse === "function" &&
    typeof (candidate.secrets as { safeParse?: unknown } | undefined)?.safeParse === "function"
  );
}
