import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError, describeIssues, messageOf } from "../core";
import {
  createJetStreamConsumer,
  Duration,
  IdempotencyConfigSchema,
  literalRedisCredentials,
  openStore,
  RedisStore,
  type IdempotencyStore,
  type JetStreamConsumer,
  type JetStreamOrderedOptions,
} from "../delivery";
import { MAX_PARTITIONS } from "../delivery/partitions";
import { JetStreamSinkConfig } from "../delivery/sinks";
import { resolveEnv } from "../http/blocks";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";

export const consumeUsage = `usage: ${COMMANDS.consume.usage}`;

/**
 * The `consume` section of the config file `serve` reads. The NATS servers, subject prefix and stream come from the
 * file's (first) `jetstream` sink and the store from its `idempotency` section, so `serve` and `consume` share one
 * file; flags override the file.
 */
export const ConsumeConfigSchema = z.strictObject({
  durable: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and -")
    .optional(),
  filter: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  ack_wait: Duration.optional(),
  max_deliver: z.int().min(1).optional(),
  dead_letter_subject: z.string().min(1).optional(),
  /** how long an idempotency claim holds an event (default the ack-wait) */
  lease: Duration.optional(),
  /** one conversation in order (docs/scaling.md): the sink's partition count (default the jetstream sink's) */
  partitions: z.int().min(1).max(MAX_PARTITIONS).optional(),
  /** the partitions this process pulls (default all) */
  only: z.array(z.int().min(0)).min(1).optional(),
  max_ack_pending: z.int().min(1).optional(),
  reorder_window: Duration.optional(),
});

interface FileSettings {
  servers?: string | string[];
  auth?: { token?: string | undefined; user?: string | undefined; password?: string | undefined };
  stream?: string;
  subjectPrefix?: string;
  partitions?: number;
  consume: z.output<typeof ConsumeConfigSchema>;
  store?: IdempotencyStore;
}

async function readConsumeConfig(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<FileSettings> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    // never quote the file: it holds secrets
    const reason = error instanceof SyntaxError ? "is not valid JSON" : `cannot be read (${messageOf(error)})`;
    throw new CliError(`${file} ${reason}`, EXIT.input);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new CliError(`${file}: a config file is a JSON object`, EXIT.usage);
  const { consume, sinks, idempotency } = json as { consume?: unknown; sinks?: unknown; idempotency?: unknown };
  const bad = (what: string, error: z.ZodError) =>
    new CliError(`invalid configuration in ${file}: ${what}: ${describeIssues(error)}`, EXIT.usage);
  const settings: FileSettings = { consume: {} };
  if (consume !== undefined) {
    const parsed = ConsumeConfigSchema.safeParse(resolveEnv(consume, env, "consume", "consume"));
    if (!parsed.success) throw bad("consume", parsed.error);
    settings.consume = parsed.data;
  }
  const sink = Array.isArray(sinks)
    ? sinks.find((item) => (item as { kind?: unknown } | null)?.kind === "jetstream")
    : undefined;
  if (sink !== undefined) {
    const parsed = JetStreamSinkConfig.safeParse(resolveEnv(sink, env, "sinks", "sinks[jetstream]"));
    if (!parsed.success) throw bad("sinks[jetstream]", parsed.error);
    settings.servers = typeof parsed.data.servers === "string" ? parsed.data.servers : [...parsed.data.servers];
    settings.subjectPrefix = parsed.data.subject_prefix;
    if (parsed.data.partitions !== undefined) settings.partitions = parsed.data.partitions;
    settings.auth = { token: parsed.data.token, user: parsed.data.user, password: parsed.data.password };
    if (parsed.data.stream !== undefined) settings.stream = parsed.data.stream.name;
  }
  if (idempotency !== undefined) {
    const literal = literalRedisCredentials(idempotency);
    if (literal !== undefined)
      throw new CliError(`invalid configuration in ${file}: idempotency: ${literal}`, EXIT.usage);
    const parsed = IdempotencyConfigSchema.safeParse(resolveEnv(idempotency, env, "idempotency", "idempotency"));
    if (!parsed.success) throw bad("idempotency", parsed.error);
    // a memory store forgets on restart, the very case this is for: only a Redis section turns it on here
    if (parsed.data !== false && parsed.data.store === "redis") {
      const store = openStore(parsed.data);
      if (store !== false) settings.store = store;
    }
  }
  return settings;
}

function durationOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Duration.safeParse(/^\d+$/.test(value) ? Number(value) : value);
  if (!parsed.success)
    throw new CliError(`${flag} is a duration such as "30s" or "1500ms", not "${value}"\n${consumeUsage}`, EXIT.usage);
  return parsed.data;
}

function wholeNumber(value: string | undefined, flag: string, least: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < least)
    throw new CliError(`${flag} is a whole number of at least ${least}\n${consumeUsage}`, EXIT.usage);
  return number;
}

/** The ordered options from the flags over the file (its consume section, then its jetstream sink's partitions). */
function orderedOf(
  values: Readonly<Record<string, unknown>>,
  file: FileSettings | undefined,
): JetStreamOrderedOptions | undefined {
  const text = (name: string) => values[name] as string | undefined;
  const partitions = wholeNumber(text("partitions"), "--partitions", 1) ?? file?.consume.partitions ?? file?.partitions;
  const onlyFlag = text("only")
    ?.split(",")
    .map((part) => wholeNumber(part.trim(), "--only (a comma-separated list)", 0)!);
  const only = onlyFlag ?? file?.consume.only;
  const maxAckPending = wholeNumber(text("max-ack-pending"), "--max-ack-pending", 1) ?? file?.consume.max_ack_pending;
  const reorderWindowMs = durationOf(text("reorder-window"), "--reorder-window") ?? file?.consume.reorder_window;
  if (partitions === undefined) {
    if (only !== undefined || maxAckPending !== undefined || reorderWindowMs !== undefined)
      throw new CliError(
        `--only, --max-ack-pending and --reorder-window go with --partitions\n${consumeUsage}`,
        EXIT.usage,
      );
    return undefined;
  }
  return {
    partitions,
    ...(only === undefined ? {} : { only }),
    ...(maxAckPending === undefined ? {} : { maxAckPending }),
    ...(reorderWindowMs === undefined ? {} : { reorderWindowMs }),
  };
}

/**
 * `convotic consume`: a durable JetStream consumer printing each event as one JSON line on stdout (what `serve`
 * prints), acknowledged once the line is written; SIGTERM or Ctrl-C stops pulling, prints what was delivered
 * already, and exits once the server confirmed every ack.
 */
export async function consumeCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      servers: { type: "string", short: "s", multiple: true },
      stream: { type: "string" },
      durable: { type: "string", short: "d" },
      filter: { type: "string", short: "f", multiple: true },
      "subject-prefix": { type: "string" },
      "ack-wait": { type: "string" },
      "max-deliver": { type: "string" },
      "dead-letter-subject": { type: "string" },
      redis: { type: "string" },
      lease: { type: "string" },
      partitions: { type: "string" },
      only: { type: "string" },
      "max-ack-pending": { type: "string" },
      "reorder-window": { type: "string" },
    },
  });
  if (positionals.length > 0)
    throw new CliError(`unexpected argument "${positionals[0]}"\n${consumeUsage}`, EXIT.usage);
  const maxDeliverFlag = values["max-deliver"] === undefined ? undefined : Number(values["max-deliver"]);
  if (maxDeliverFlag !== undefined && !(Number.isInteger(maxDeliverFlag) && maxDeliverFlag >= 1)) {
    throw new CliError(`--max-deliver is a whole number of at least 1\n${consumeUsage}`, EXIT.usage);
  }
  if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis))
    throw new CliError(`--redis is a redis:// or rediss:// URL\n${consumeUsage}`, EXIT.usage);
  const ackWaitFlag = durationOf(values["ack-wait"], "--ack-wait");
  const leaseFlag = durationOf(values.lease, "--lease");
  const file = values.config === undefined ? undefined : await readConsumeConfig(values.config, io.env);
  const stream = values.stream ?? file?.stream;
  const durable = values.durable ?? file?.consume.durable;
  if (stream === undefined || durable === undefined) {
    throw new CliError(
      `--stream and --durable are required (or a --config with a jetstream sink and consume.durable)\n${consumeUsage}`,
      EXIT.usage,
    );
  }
  const filter = values.filter ?? file?.consume.filter;
  const subjectPrefix = values["subject-prefix"] ?? file?.subjectPrefix;
  const ackWaitMs = ackWaitFlag ?? file?.consume.ack_wait;
  const maxDeliver = maxDeliverFlag ?? file?.consume.max_deliver;
  const deadLetterSubject = values["dead-letter-subject"] ?? file?.consume.dead_letter_subject;
  const leaseMs = leaseFlag ?? file?.consume.lease;
  const ordered = orderedOf(values, file);
  let store = file?.store;
  if (values.redis !== undefined) {
    await store?.close();
    store = new RedisStore({ url: values.redis });
  }
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => io.stdout.write(text, (error) => (error ? reject(error) : resolve())));
  let consumer: JetStreamConsumer;
  try {
    consumer = await createJetStreamConsumer({
      servers: values.servers ?? file?.servers ?? io.env["NATS_URL"] ?? "nats://127.0.0.1:4222",
      ...(file?.auth === undefined ? {} : { auth: file.auth }),
      stream,
      durable,
      ...(filter === undefined ? {} : { filter }),
      ...(subjectPrefix === undefined ? {} : { subjectPrefix }),
      ...(ackWaitMs === undefined ? {} : { ackWaitMs }),
      ...(maxDeliver === undefined ? {} : { maxDeliver }),
      ...(deadLetterSubject === undefined ? {} : { deadLetterSubject }),
      ...(store === undefined ? {} : { idempotency: { store, ...(leaseMs === undefined ? {} : { leaseMs }) } }),
      ...(ordered === undefined ? {} : { ordered }),
      router: { dispatch: (event) => write(JSON.stringify(event) + "\n") },
      onError: (error, context) =>
        line(
          io.stderr,
          `convotic: event ${context.id ?? "(not an envelope)"} delivery ${context.delivery} failed${context.deadLettered ? " (dead-lettered)" : ""}: ${messageOf(error)}`,
        ),
    });
  } catch (error) {
    await store?.close();
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.usage);
    throw new CliError(`cannot consume ${stream}/${durable}: ${messageOf(error)}`, EXIT.input);
  }
  const storeNote =
    (store === undefined ? "" : ` (idempotency: ${store.kind})`) +
    (ordered === undefined ? "" : ` in order per conversation over ${ordered.partitions} partitions`);
  line(
    io.stderr,
    `convotic: consuming stream ${stream} as durable ${durable}${storeNote}; events as JSON lines on stdout. SIGTERM or Ctrl-C stops.`,
  );
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
  await store?.close();
  const { handled, deadLettered, duplicates } = consumer.stats;
  line(
    io.stderr,
    `convotic: stopped; handled ${handled}, dead-lettered ${deadLettered}${store === undefined ? "" : `, already handled (acked without handling) ${duplicates}`}`,
  );
  return EXIT.ok;
}
