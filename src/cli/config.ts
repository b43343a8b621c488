import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ConfigError, createNormalizer, messageOf, type Normalizer } from "../core";
import { loadAdapterModules } from "./adapter-modules";
import type { Env } from "../http";
import { loadBlocks, type BlockSet } from "../http/blocks";
import { loadConfig, type ServerConfig } from "./server-config";
import { CliError, EXIT } from "./io";

export const DEFAULT_CONFIG_FILE = "convotic.config.json";

/** The config file's JSON and the normaliser with the adapters it adds; no `${VAR}` is resolved here. */
async function readConfigFile(
  path: string | undefined,
  options: { normalizer: Normalizer; usage: string },
): Promise<{ file: string; json: unknown; normalizer: Normalizer }> {
  const file = path ?? DEFAULT_CONFIG_FILE;
  if (path === undefined && !existsSync(file)) {
    throw new CliError(
      `no --config given and no ${DEFAULT_CONFIG_FILE} in the current directory\n${options.usage}`,
      EXIT.usage,
    );
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${messageOf(error)}`, EXIT.input);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around a syntax error, and this text holds secrets: keep only the position
    const position = /position (\d+)/.exec(messageOf(error))?.[1];
    throw new CliError(
      `${file} is not valid JSON${position === undefined ? "" : ` (at position ${position})`}`,
      EXIT.input,
    );
  }
  // adapters the config adds are loaded first, so its blocks can use their platforms
  const specs = (json as { adapters?: unknown } | null)?.adapters;
  let normalizer = options.normalizer;
  if (Array.isArray(specs) && specs.every((spec): spec is string => typeof spec === "string")) {
    const added = await loadAdapterModules(specs, dirname(resolve(file)), normalizer.platforms);
    normalizer = createNormalizer({ adapters: { ...normalizer.adapters, ...added } });
  }
  return { file, json, normalizer };
}

/**
 * Reads and validates a config file for `serve` (`./convotic.config.json` when no path is given).
 * Errors name the file and the field; they never quote the file, which holds secrets.
 */
export async function readServerConfig(
  path: string | undefined,
  options: { normalizer: Normalizer; env: Env; usage: string },
): Promise<{ path: string; config: ServerConfig; normalizer: Normalizer }> {
  const { file, json, normalizer } = await readConfigFile(path, options);
  try {
    return { path: file, config: loadConfig(json, { normalizer, env: options.env }), normalizer };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`${file}: ${error.message}`, EXIT.input);
    throw error;
  }
}

/**
 * The blocks of a config file and its adapters, for the commands that only sign requests (`replay --to`,
 * `trigger`): only the blocks' `${VAR}` references must be set, not the sinks' or the store's secrets, which these
 * commands never use. The rest of the file is still checked by `serve` and `convotic check`.
 */
export async function readConfigBlocks(
  path: string | undefined,
  options: { normalizer: Normalizer; env: Env; usage: string },
): Promise<{ path: string; blocks: BlockSet; normalizer: Normalizer }> {
  const { file, json, normalizer } = await readConfigFile(path, options);
  const blocks = (json as { blocks?: unknown } | null)?.blocks;
  if (!Array.isArray(blocks) || blocks.length === 0)
    throw new CliError(`${file}: invalid configuration: blocks must be a non-empty array`, EXIT.input);
  try {
    return { path: file, blocks: loadBlocks(blocks, { normalizer, env: options.env }), normalizer };
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`${file}: ${error.message}`, EXIT.input);
    throw error;
  }
}

/** The normaliser with a config file's `adapters`, for the golden review of custom adapters' fixtures. */
export async function readConfigAdapters(
  path: string,
  options: { normalizer: Normalizer; usage: string },
): Promise<Normalizer> {
  return (await readConfigFile(path, options)).normalizer;
}
