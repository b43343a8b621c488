import { execFileSync } from "node:child_process";

/**
 * Whether a server on 127.0.0.1:`port` greets us as expected (after we send `hello`, when given), asked
 * synchronously so a suite can choose `describe` or `describe.skip` at load time.
 */
export function serviceAnswers(port: number, greeting: string, hello?: string): boolean {
  const probe = `
    const socket = require("node:net").connect(${port}, "127.0.0.1");
    socket.setTimeout(1000, () => process.exit(1));
    socket.on("error", () => process.exit(1));
    ${hello === undefined ? "" : `socket.on("connect", () => socket.write(${JSON.stringify(hello)}));`}
    socket.on("data", (data) => process.exit(String(data).startsWith(${JSON.stringify(greeting)}) ? 0 : 1));`;
  try {
    execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` when the service answers, and also when `CI` is set (so the suite fails, not skips, on a CI machine
 * without it); `describe.skip` on a developer machine without it.
 */
export function describeWhen(up: boolean): jest.Describe {
  return up || process.env["CI"] !== undefined ? describe : describe.skip;
}
