import { readFile, rename, writeFile } from "node:fs/promises";
import { messageOf } from "../core";
import { parseDeadLetters, type DeadLetterRecord } from "../delivery/sinks/dead-letter";
import { secretKey, standardWebhookHeaders, WhsecSecret } from "../delivery/sinks/standard-webhooks";
import { failureReason, SubscriberClient } from "../delivery/sinks/subscriber-client";
import { CliError, EXIT, line, type CliIO } from "./io";

export interface DeadLetterOptions {
  readonly file: string;
  /** the environment variable holding the subscriber's whsec_ secret(s), space-separated */
  readonly secretEnv: string;
  /** send to this URL instead of each record's own */
  readonly to?: string;
  readonly timeoutMs: number;
}

/**
 * `convotic replay --dead-letter FILE --secret-env NAME`: sends every dead letter again, once, with its original
 * `webhook-id` and body, a fresh timestamp and signatures from the secrets in $NAME (secrets never live in the
 * file). Accepted records leave the file; the ones that fail again stay (the file is rewritten atomically).
 * Exit 0 when every record was accepted.
 */
export async function resendDeadLetters(options: DeadLetterOptions, io: CliIO): Promise<number> {
  const raw = io.env[options.secretEnv];
  if (raw === undefined || raw.trim() === "")
    throw new CliError(`$${options.secretEnv} is not set (the subscriber's whsec_ secret)`, EXIT.usage);
  const secrets = raw.trim().split(/\s+/);
  if (!secrets.every((secret) => WhsecSecret.safeParse(secret).success)) {
    throw new CliError(`$${options.secretEnv} must hold whsec_ secrets (space-separated)`, EXIT.usage);
  }
  const keys = secrets.map(secretKey);
  let text: string;
  try {
    text = await readFile(options.file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${options.file}: ${messageOf(error)}`, EXIT.input);
  }
  const { records, errors } = parseDeadLetters(text);
  if (errors.length > 0) throw new CliError(`${options.file}: ${errors.slice(0, 3).join("; ")}`, EXIT.input);

  const failed: DeadLetterRecord[] = [];
  // the sink's own client, one kept connection per subscriber URL
  const clients = new Map<string, SubscriberClient>();
  const never = new AbortController().signal;
  try {
    for (const record of records) {
      const url = options.to ?? record.url;
      const headers = {
        "content-type": record.content_type,
        "user-agent": "convotic-webhooks",
        ...standardWebhookHeaders(record.id, Math.floor(Date.now() / 1000), record.body, keys),
      };
      let outcome: string;
      try {
        let client = clients.get(url);
        if (client === undefined) clients.set(url, (client = new SubscriberClient(url)));
        const { status } = await client.post(headers, record.body, options.timeoutMs, never);
        outcome = status >= 200 && status <= 299 ? "ok" : `HTTP ${status}`;
      } catch (error) {
        outcome = failureReason(error);
      }
      if (outcome === "ok") continue;
      line(io.stderr, `failed ${record.id} (${record.event_type}) to ${url}: ${outcome}`);
      failed.push({
        ...record,
        attempts: record.attempts + 1,
        last_error: `resend: ${outcome}`,
        dead_at: new Date().toISOString(),
      });
    }
  } finally {
    for (const client of clients.values()) client.close();
  }
  const temporary = `${options.file}.${process.pid}.tmp`;
  await writeFile(temporary, failed.map((record) => JSON.stringify(record) + "\n").join(""));
  await rename(temporary, options.file);
  line(
    io.stderr,
    `resent ${records.length}, accepted ${records.length - failed.length}, failed ${failed.length}${failed.length > 0 ? ` (kept in ${options.file})` : ""}`,
  );
  return failed.length === 0 ? EXIT.ok : EXIT.input;
}
