import { ConfigError, messageOf } from "../../core";

/** The two official NATS client packages, loaded only when a JetStream sink or consumer is used. */
export interface NatsModules {
  readonly transport: typeof import("@nats-io/transport-node");
  readonly jetstream: typeof import("@nats-io/jetstream");
}

type NatsConnection = Awaited<ReturnType<NatsModules["transport"]["connect"]>>;

export interface NatsConnectionLike {
  readonly nc: NatsConnection;
  readonly manager: Awaited<ReturnType<NatsModules["jetstream"]["jetstreamManager"]>>;
  readonly jetstream: ReturnType<NatsModules["jetstream"]["jetstream"]>;
}

/**
 * `require`s the clients on first use: a user who never configures NATS never loads them, and one who does without
 * installing them gets a ConfigError saying what to install.
 */
export function loadNats(what: string): NatsModules {
  try {
    return {
      transport: require("@nats-io/transport-node") as NatsModules["transport"],
      jetstream: require("@nats-io/jetstream") as NatsModules["jetstream"],
    };
  } catch (error) {
    throw new ConfigError(
      `${what} needs the NATS client packages (npm install @nats-io/transport-node @nats-io/jetstream): ${messageOf(error)}`,
    );
  }
}

/** JetStream takes durations in nanoseconds. */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}
