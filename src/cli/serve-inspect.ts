import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import { isLoopback } from "../http/secret-rules";
import { createInspectorWith, type Inspector } from "../inspect";
import { defaultContext } from "../testing/fixtures";
import { CliError, EXIT } from "./io";
import type { InspectConfig } from "./server-config";

/** The `--inspect` flags, as parsed. */
export interface InspectFlags {
  readonly inspect?: boolean | undefined;
  readonly "inspect-allow-remote"?: boolean | undefined;
  readonly "inspect-fixtures"?: string | undefined;
}

/**
 * The development inspector on the webhook listener, from the config file's `inspect` and the flags (which win:
 * `--inspect` turns it on, `--inspect-fixtures` and `--inspect-allow-remote` replace the file's values). A
 * non-loopback host is refused unless remote access is allowed, because the page shows request bodies and replays
 * them. `fixtures_dir` is relative to the config file's folder, `--inspect-fixtures` to the working directory.
 */
export function inspectorOf(
  values: InspectFlags,
  config: InspectConfig | undefined,
  where: { readonly host: string; readonly configDir: string; readonly usage: string },
): Inspector | undefined {
  const file = typeof config === "object" ? config : {};
  const enabled = values.inspect === true || (typeof config === "object" ? config.enabled !== false : config === true);
  const allowRemote = values["inspect-allow-remote"] === true || file.allow_remote === true;
  if (!enabled) {
    if (values["inspect-allow-remote"] === true || values["inspect-fixtures"] !== undefined)
      throw new CliError(
        `--inspect-allow-remote and --inspect-fixtures need --inspect (or "inspect" in the config file)\n${where.usage}`,
        EXIT.usage,
      );
    return undefined;
  }
  if (!isLoopback(where.host) && !allowRemote)
    throw new CliError(
      `${values.inspect === true ? "--inspect" : 'the config file\'s "inspect"'} on ${where.host}, a non-loopback address, would show request bodies to other machines: it is a ` +
        `development tool; listen on 127.0.0.1, or add --inspect-allow-remote ("allow_remote": true)\n${where.usage}`,
      EXIT.usage,
    );
  const fixturesDir =
    values["inspect-fixtures"] ??
    (file.fixtures_dir === undefined ? "fixtures" : resolve(where.configDir, file.fixtures_dir));
  return createInspectorWith({
    goldenContext: defaultContext,
    fixturesDir,
    allowRemote,
    ...(file.max_entries === undefined ? {} : { maxEntries: file.max_entries }),
    ...(file.max_bytes === undefined ? {} : { maxBytes: file.max_bytes }),
  });
}

/** The node listener's first look at a request: the inspector's routes are answered by it. */
export function intercepting(inspector: Inspector) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!inspector.matches(req.url ?? "/")) return false;
    inspector.node(req, res);
    return true;
  };
}
