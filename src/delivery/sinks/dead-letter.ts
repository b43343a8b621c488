import { open } from "node:fs/promises";
import { z } from "zod";

/**
 * One delivery that exhausted its retries (or was refused for good, or was still queued at shutdown): everything
 * needed to send it again with `convotic replay --dead-letter FILE`, byte for byte and with the same
 * `webhook-id`. Never a secret or a signature: the resend signs again.
 */
export const DeadLetterRecord = z.strictObject({
  /** the `webhook-id`, stable per event and subscriber */
  id: z.string().min(1),
  sink: z.string().min(1),
  url: z.string().min(1),
  event_id: z.string().min(1),
  event_type: z.string().min(1),
  content_type: z.string().min(1),
  body: z.string(),
  attempts: z.number().int().nonnegative(),
  last_error: z.string(),
  dead_at: z.string(),
});
export type DeadLetterRecord = z.output<typeof DeadLetterRecord>;

/** Appends records as JSON lines and fsyncs: dead letters are rare and are the last copy of the event. */
export async function appendDeadLetters(path: string, records: readonly DeadLetterRecord[]): Promise<void> {
  if (records.length === 0) return;
  const handle = await open(path, "a");
  try {
    await handle.appendFile(records.map((record) => JSON.stringify(record) + "\n").join(""));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Parses a dead-letter file; a line that is not a record is reported with its line number. */
export function parseDeadLetters(text: string): { records: DeadLetterRecord[]; errors: string[] } {
  const records: DeadLetterRecord[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      errors.push(`line ${index + 1}: not JSON`);
      return;
    }
    const parsed = DeadLetterRecord.safeParse(json);
    if (parsed.success) records.push(parsed.data);
    else errors.push(`line ${index + 1}: not a dead-letter record (${parsed.error.issues[0]?.path.join(".") ?? ""})`);
  });
  return { records, errors };
}
