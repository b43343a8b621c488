import { randomBytes } from "node:crypto";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { describeWhen, serviceAnswers } from "./service";

export const NATS_URL = "nats://127.0.0.1:4222";

/** Whether a NATS server greets us (INFO) at 127.0.0.1:4222. */
export const natsUp = serviceAnswers(4222, "INFO");

/** `describe` when NATS answers or `CI` is set (a CI machine without NATS fails the suite); `describe.skip` otherwise. */
export const describeNats: jest.Describe = describeWhen(natsUp);

/** A NATS connection and JetStream manager for one suite; the streams pushed to `streams` are deleted after it. */
export function useJetStream() {
  const session = {
    nc: undefined as unknown as NatsConnection,
    jsm: undefined as unknown as JetStreamManager,
    streams: [] as string[],
  };
  beforeAll(async () => {
    session.nc = await connect({ servers: NATS_URL, timeout: 3000 });
    session.jsm = await jetstreamManager(session.nc);
  });
  afterAll(async () => {
    for (const name of session.streams) await session.jsm.streams.delete(name).catch(() => undefined);
    await session.nc?.close();
  });
  return session;
}

/** A stream name / subject token no other run uses. */
export function uniqueName(what: string): string {
  return `${what}_${process.pid}_${randomBytes(4).toString("hex")}`;
}
