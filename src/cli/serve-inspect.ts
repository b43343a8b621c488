import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopback } from "../http/secret-rules";
import { createInspectorWith, type Inspector } from "../inspect";
import { defaultContext } from "../testing/fixtures";
import { CliError, EXIT } from "./io";

/**
 * `--inspect`: the development inspector on the webhook listener. A non-loopback `--host` is refused unless
 * `--inspect-allow-remote` says so, because the page shows request bodies and replays them.
 */
export function inspectorOf(
  values: { inspect?: boolean; "inspect-allow-remote"?: boolean; "inspect-fixtures"?: string },
  host: string,
  serveUsage: string,
): Inspector | undefined {
  const allowRemote = values["inspect-allow-remote"] === true;
  if (values.inspect !== true) {
    if (allowRemote || values["inspect-fixtures"] !== undefined)
      throw new CliError(`--inspect-allow-remote and --inspect-fixtures need --inspect\n${serveUsage}`, EXIT.usage);
    return undefined;
  }
  if (!isLoopback(host) && !allowRemote)
    throw new CliError(
      `--inspect on ${host}, a non-loopback address, would show request bodies to other machines: it is a development tool; ` +
        `listen on 127.0.0.1, or add --inspect-allow-remote\n${serveUsage}`,
      EXIT.usage,
    );
  return createInspectorWith({
    goldenContext: defaultContext,
    fixturesDir: values["inspect-fixtures"] ?? "fixtures",
    allowRemote,
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
