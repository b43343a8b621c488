import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { eventId, type UnifiedEvent } from "../../src/core";
import { goldenEnvelopes } from "../formats/support";

/*
 * Consumer processes for the kill-and-restart proofs: `convotic consume` (the built CLI) or
 * test/support/slow-consumer.js, each printing what it handled on stdout, collected line by line.
 */
export const ROOT = join(__dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");
export const SLOW_CONSUMER = join(__dirname, "slow-consumer.js");

/** `count` distinct envelopes: golden envelopes in turn, each under an event id of its own. */
export function workload(count: number, tag: string): UnifiedEvent[] {
  const golden = goldenEnvelopes().map(({ event }) => event);
  return Array.from({ length: count }, (_, index) => {
    const base = golden[index % golden.length]!;
    return { ...base, id: eventId(base.platform, base.block_id, `${tag}-${index}`, base.type) } as UnifiedEvent;
  });
}

export interface ConsumerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** stderr so far, for failure messages */
  stderr(): string;
}

/**
 * Spawns `node <script> ...args`; each stdout line goes to `onLine`. The child is pushed to `children` so the
 * suite can SIGKILL what is left after a failed test.
 */
export function spawnConsumer(
  script: string,
  args: readonly string[],
  onLine: (line: string) => void,
  children: ChildProcess[],
  env: Readonly<Record<string, string>> = {},
): ConsumerProcess {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let rest = "";
  let errors = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    rest += chunk.toString();
    const parts = rest.split("\n");
    rest = parts.pop()!;
    for (const part of parts) onLine(part);
  });
  child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => errors };
}

export async function until(condition: () => boolean, ms = 30_000, what = "condition"): Promise<void> {
  const ends = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > ends) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** How many ids occur more than once, counting each extra occurrence. */
export function extraCopies(ids: readonly string[]): number {
  return ids.length - new Set(ids).size;
}
