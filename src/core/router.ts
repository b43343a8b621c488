import { EVENT_TYPES, isEventType, type EventType } from "./catalogue";
import type { DriftRecord } from "./drift";
import type { EventOf, NormalizeResult, UnhandledEvent, UnifiedEvent } from "./envelope";
import { ConfigError, DispatchError } from "./errors";
import { createEvent, type CreateEventInput } from "./create-event";

/** A dotted wildcard: `*` stands for one or more characters, dots included (`messaging.*`, `*.message.*`, `*`). */
export type Pattern = `${string}*${string}`;
export type Selector = EventType | Pattern;

type PatternTemplate<P extends string> = P extends `${infer Head}*${infer Tail}`
  ? `${Head}${string}${PatternTemplate<Tail>}`
  : P;

/** The event types a selector matches, computed at the type level the same way the runtime matcher does. */
export type MatchingTypes<S extends string> = S extends EventType
  ? S
  : S extends Pattern
    ? Extract<EventType, PatternTemplate<S>>
    : never;

/** The envelope union for a union of types (distributive, so `type` still narrows `data`). */
export type EventFor<T extends EventType> = T extends EventType ? EventOf<T> : never;

export type Handler<E> = (event: E) => void | Promise<void>;
export type ErrorHandler = (error: unknown, event: UnifiedEvent | UnhandledEvent) => void | Promise<void>;

/** Rejects, at compile time, a pattern that matches no catalogue type. */
type Checked<S extends string> = [MatchingTypes<S>] extends [never] ? never : S;

interface Route {
  readonly matches: (type: EventType) => boolean;
  readonly handler: Handler<UnifiedEvent>;
}

function compile(selector: string): (type: EventType) => boolean {
  if (!selector.includes("*")) {
    if (!isEventType(selector))
      throw new ConfigError(`unknown event type "${selector}"`, { code: "unknown_event_type" });
    return (type) => type === selector;
  }
  const source = selector
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".+");
  const regex = new RegExp(`^${source}$`);
  const matches = (type: EventType) => regex.test(type);
  if (!EVENT_TYPES.some(matches)) {
    throw new ConfigError(`pattern "${selector}" matches no event type`, { code: "unknown_event_type" });
  }
  return matches;
}

/**
 * The router's matching as a predicate, for filters outside a router (a sink's `filter`): true when any selector
 * matches. Throws `ConfigError` for an unknown type or a pattern that matches nothing, like `on()`.
 */
export function typeMatcher(selectors: readonly string[]): (type: EventType) => boolean {
  const matchers = selectors.map(compile);
  return (type) => matchers.some((matches) => matches(type));
}

async function settle(tasks: readonly (() => void | Promise<void>)[]): Promise<unknown[]> {
  const results = await Promise.allSettled(tasks.map((task) => Promise.resolve().then(task)));
  return results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
}

/**
 * Routes envelopes to handlers by type. For one event every matching handler runs concurrently; events of a
 * batch are dispatched in order. A failing handler never stops the others: all failures are reported to
 * `onError` handlers and then thrown together as one `DispatchError`.
 */
export class Router {
  private readonly routes: Route[] = [];
  private readonly unhandledHandlers: Handler<UnhandledEvent>[] = [];
  private readonly errorHandlers: ErrorHandler[] = [];
  private readonly driftHandlers: Handler<DriftRecord>[] = [];

  /** `on('messaging.message.received', e => …)`, `on(['a', 'b'], …)`, `on('messaging.*', …)`. */
  on<const S extends Selector>(
    selector: Checked<S> | readonly Checked<S>[],
    handler: Handler<EventFor<MatchingTypes<S>>>,
  ): this {
    const selectors: readonly string[] = typeof selector === "string" ? [selector] : selector;
    const matchers = selectors.map(compile);
    this.routes.push({
      matches: (type) => matchers.some((matches) => matches(type)),
      handler: handler as Handler<UnifiedEvent>,
    });
    return this;
  }

  /** Valid platform events that no catalogue type maps. */
  onUnhandled(handler: Handler<UnhandledEvent>): this {
    this.unhandledHandlers.push(handler);
    return this;
  }

  /** Fields and values a body held that its platform's catalogue does not know (docs/drift.md). */
  onDrift(handler: Handler<DriftRecord>): this {
    this.driftHandlers.push(handler);
    return this;
  }

  onError(handler: ErrorHandler): this {
    this.errorHandlers.push(handler);
    return this;
  }

  /**
   * Dispatches one envelope, a batch, or a whole normalise result (events, then unhandled, then drift records to
   * `onDrift`).
   */
  async dispatch(input: UnifiedEvent | readonly UnifiedEvent[] | NormalizeResult): Promise<void> {
    const { events, unhandled, drift } = toBatch(input);
    const failures: unknown[] = [];
    for (const event of events) {
      const handlers = this.routes
        .filter((route) => route.matches(event.type))
        .map((route) => () => route.handler(event));
      await this.collect(failures, event, handlers);
    }
    for (const item of unhandled) {
      await this.collect(
        failures,
        item,
        this.unhandledHandlers.map((handler) => () => handler(item)),
      );
    }
    await this.collectDrift(failures, drift);
    if (failures.length > 0) throw new DispatchError(failures);
  }

  /**
   * Hands drift records to the `onDrift` handlers only: the HTTP edge calls it beside the delivery, which
   * dispatches events and unhandled records one by one. Failures reject as one `DispatchError` (not to `onError`,
   * whose handlers take events and unhandled records).
   */
  async dispatchDrift(drift: readonly DriftRecord[]): Promise<void> {
    const failures: unknown[] = [];
    await this.collectDrift(failures, drift);
    if (failures.length > 0) throw new DispatchError(failures);
  }

  /** Whether any `onDrift` handler is registered (the edge skips the call otherwise). */
  get hearsDrift(): boolean {
    return this.driftHandlers.length > 0;
  }

  private async collectDrift(failures: unknown[], drift: readonly DriftRecord[] | undefined): Promise<void> {
    for (const item of drift ?? [])
      failures.push(...(await settle(this.driftHandlers.map((handler) => () => handler(item)))));
  }

  /** Builds an application event (validated like any other) and dispatches it; resolves to the envelope. */
  async emit<T extends EventType>(type: T, input: CreateEventInput<T>): Promise<EventOf<T>> {
    const event = createEvent(type, input);
    await this.dispatch(event as UnifiedEvent);
    return event;
  }

  private async collect(
    failures: unknown[],
    event: UnifiedEvent | UnhandledEvent,
    handlers: readonly (() => void | Promise<void>)[],
  ): Promise<void> {
    const errors = await settle(handlers);
    if (errors.length === 0) return;
    failures.push(...errors);
    // an onError handler that throws is itself a failure, never a reason to lose the others
    failures.push(
      ...(await settle(errors.flatMap((error) => this.errorHandlers.map((onError) => () => onError(error, event))))),
    );
  }
}

function toBatch(input: UnifiedEvent | readonly UnifiedEvent[] | NormalizeResult): NormalizeResult {
  if (Array.isArray(input)) return { events: [...(input as readonly UnifiedEvent[])], unhandled: [] };
  if ("events" in input && "unhandled" in input) return input;
  return { events: [input as UnifiedEvent], unhandled: [] };
}

export function createRouter(): Router {
  return new Router();
}
