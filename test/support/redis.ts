import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export const REDIS_URL = "redis://127.0.0.1:6379";

/** Whether Redis answers PING at 127.0.0.1:6379, asked synchronously so a suite can choose describe or skip. */
function redisAnswers(): boolean {
  const probe = `
    const socket = require("node:net").connect(6379, "127.0.0.1");
    socket.setTimeout(1000, () => process.exit(1));
    socket.on("error", () => process.exit(1));
    socket.on("connect", () => socket.write("PING\\r\\n"));
    socket.on("data", (data) => process.exit(String(data).startsWith("+PONG") ? 0 : 1));`;
  try {
    execFileSync(process.execPath, ["-e", probe], { stdio: "ignore", timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}

export const redisUp = redisAnswers();

/**
 * `describe` when Redis answers, and also when `CI` is set (so the suite fails, not skips, on a CI machine without
 * Redis); `describe.skip` on a developer machine without it.
 */
export const describeRedis: jest.Describe = redisUp || process.env["CI"] !== undefined ? describe : describe.skip;

/** A key prefix no other run uses, so parallel test runs never collide. */
export function uniquePrefix(what: string): string {
  return `convotic:test:${what}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}
