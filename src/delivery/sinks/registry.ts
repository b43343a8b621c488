import { z } from "zod";
import { ConfigError } from "../../core";
import type { Sink } from "../sink";
import type { SinkConfigSchema, SinkDefinition, SinkEnvironment } from "./contract";
import { fileSink } from "./file";
import { jetstreamSink } from "./jetstream";
import { stdoutSink } from "./stdout";
import { webhookSink } from "./webhook";

/**
 * The sink kinds, by the `kind` of their entry in `sinks: [...]`. The config union, `createSink` and the default
 * names derive from this object; the order is the union's.
 */
export const SINKS = {
  stdout: stdoutSink,
  file: fileSink,
  webhook: webhookSink,
  jetstream: jetstreamSink,
} as const satisfies {
  readonly [Kind in string]: SinkDefinition<SinkConfigSchema & z.ZodObject<{ kind: z.ZodLiteral<Kind> }>>;
};

export type SinkKind = keyof typeof SINKS;
type SinkSchema = (typeof SINKS)[SinkKind]["config"];

/** One entry of `sinks: [...]` in the serve config. */
export const SinkConfig = z.discriminatedUnion(
  "kind",
  Object.values(SINKS).map((sink) => sink.config) as [SinkSchema, ...SinkSchema[]],
);
export type SinkConfig = z.input<typeof SinkConfig>;

/** The definition of an entry's kind, typed for that entry (the lookup by `kind` loses the pairing TypeScript can see). */
function definitionOf(config: SinkConfig): SinkDefinition<SinkConfigSchema> | undefined {
  return (SINKS as Partial<Record<string, SinkDefinition<SinkConfigSchema>>>)[config.kind];
}

/** The name a sink of this entry goes by: its `name`, else its kind's default. */
export function sinkNameOf(config: SinkConfig): string {
  return config.name ?? definitionOf(config)?.defaultName(config) ?? config.kind;
}

/** The `sinks` member of the serve config: sink names must be unique (they key delivery ids and logs). */
export const SinksConfig = z.array(SinkConfig).superRefine((sinks, context) => {
  const seen = new Set<string>();
  sinks.forEach((sink, index) => {
    const name = sinkNameOf(sink);
    if (seen.has(name))
      context.addIssue({ code: "custom", path: [index, "name"], message: `duplicate sink name "${name}"` });
    seen.add(name);
  });
});

/** Builds one sink from its (already env-resolved) config; throws `ConfigError` naming the field, never a secret. */
export function createSink(config: SinkConfig, environment: SinkEnvironment = {}): Sink {
  const definition = definitionOf(config);
  if (definition === undefined)
    throw new ConfigError(`unknown sink kind "${String((config as { kind?: unknown }).kind)}"`);
  return definition.create(config, environment);
}
