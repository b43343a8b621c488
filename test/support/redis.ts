import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import { describeWhen, serviceAnswers } from "./service";

export const REDIS_URL = "redis://127.0.0.1:6379";

/** Whether Redis answers PING at 127.0.0.1:6379. */
export const redisUp = serviceAnswers(6379, "+PONG", "PING\r\n");

export const describeRedis: jest.Describe = describeWhen(redisUp);

/** A key prefix no other run uses, so parallel test runs never collide. */
export function uniquePrefix(what: string): string {
  return `convotic:test:${what}:${process.pid}:${randomBytes(4).toString("hex")}:`;
}

/** Deletes every key under `prefix` (what a suite wrote), through its own short-lived connection. */
export async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
}
