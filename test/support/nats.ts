import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export const NATS_URL = "nats://127.0.0.1:4222";

/** Whether a NATS server greets us (INFO) at 127.0.0.1:4222, asked synchronously so a suite can choose describe or skip. */
function natsAnswers(): boolean {
  const probe = `
    const socket = require("node:net").connect(4222, "127.0.0.1");
    socket.setTimeout(1000, () => process.exit(1));
    socket.on("error", () => process.exit(1));
    socket.on("data", (data) => process.exit(String(data).startsWith("INFO") ? 0 : 1));`;
  try {
    execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

export const natsUp = natsAnswers();

/** `describe` when NATS answers or `CI` is set (a CI machine without NATS fails the suite); `describe.skip` otherwise. */
export const describeNats: jest.Describe = natsUp || process.env["CI"] !== undefined ? describe : describe.skip;

/** A stream name / subject token no other run uses. */
export function uniqueName(what: string): string {
  return `${what}_${process.pid}_${randomBytes(4).toString("hex")}`;
}
