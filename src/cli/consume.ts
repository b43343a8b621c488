import { parseArgs } from "node:util";
import { ConfigError, messageOf } from "../core";
import { createJetStreamConsumer, Duration, type JetStreamConsumer } from "../delivery";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";

export const consumeUsage = `usage: ${COMMANDS.consume.usage}`;

function durationOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Duration.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success) throw new CliError(`${flag} is a duration such as "30s" or "1500ms", not "${value}"\n${consumeUsage}`, EXIT.usage);
  return parsed.data;
}

/**
 * `convotic consume`: a durable JetStream consumer printing each event as one JSON line on stdout (what `serve`
 * prints), acknowledged once the line is written; SIGTERM or Ctrl-C stops pulling and gives back what it holds.
 */
export async function consumeCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      servers: { type: "string", short: "s", multiple: true },
      stream: { type: "string" },
      durable: { type: "string", short: "d" },
      filter: { type: "string", short: "f", multiple: true },
      "subject-prefix": { type: "string" },
      "ack-wait": { type: "string" },
      "max-deliver": { type: "string" },
      "dead-letter-subject": { type: "string" },
    },
  });
  const stream = values.stream;
  const durable = values.durable;
  if (stream === undefined || durable === undefined) throw new CliError(`--stream and --durable are required\n${consumeUsage}`, EXIT.usage);
  const maxDeliver = values["max-deliver"] === undefined ? undefined : Number(values["max-deliver"]);
  if (maxDeliver !== undefined && !(Number.isInteger(maxDeliver) && maxDeliver >= 1)) {
    throw new CliError(`--max-deliver is a whole number of at least 1\n${consumeUsage}`, EXIT.usage);
  }
  const ackWaitMs = durationOf(values["ack-wait"], "--ack-wait");
  const write = (text: string) => new Promise<void>((resolve, reject) => io.stdout.write(text, (error) => (error ? reject(error) : resolve())));
  let consumer: JetStreamConsumer;
  try {
    consumer = await createJetStreamConsumer({
      servers: values.servers ?? io.env["NATS_URL"] ?? "nats://127.0.0.1:4222",
      stream,
      durable,
      ...(values.filter === undefined ? {} : { filter: values.filter }),
      ...(values["subject-prefix"] === undefined ? {} : { subjectPrefix: values["subject-prefix"] }),
      ...(ackWaitMs === undefined ? {} : { ackWaitMs }),
      ...(maxDeliver === undefined ? {} : { maxDeliver }),
      ...(values["dead-letter-subject"] === undefined ? {} : { deadLetterSubject: values["dead-letter-subject"] }),
      router: { dispatch: (event) => write(JSON.stringify(event) + "\n") },
      onError: (error, context) =>
        line(io.stderr, `convotic: event ${context.id ?? "(not an envelope)"} delivery ${context.delivery} failed${context.deadLettered ? " (dead-lettered)" : ""}: ${messageOf(error)}`),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw new CliError(`cannot consume ${stream}/${durable}: ${messageOf(error)}`, EXIT.input);
  }
  line(io.stderr, `convotic: consuming stream ${stream} as durable ${durable}; events as JSON lines on stdout. SIGTERM or Ctrl-C stops.`);
  const signals = io.signals ?? process;
  let onSignal = () => undefined as void;
  const signalled = new Promise<void>((resolve) => {
    onSignal = () => resolve();
    signals.once("SIGTERM", onSignal);
    signals.once("SIGINT", onSignal);
  });
  await Promise.race([signalled, consumer.done]);
  signals.removeListener("SIGTERM", onSignal);
  signals.removeListener("SIGINT", onSignal);
  await consumer.close(AbortSignal.timeout(10_000));
  line(io.stderr, `convotic: stopped; handled ${consumer.stats.handled}, dead-lettered ${consumer.stats.deadLettered}`);
  return EXIT.ok;
}
