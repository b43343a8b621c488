import { z } from "zod";
import type { PlatformAdapter } from "./adapter";
import { ConfigError } from "./errors";
import { describeIssues } from "./issues";

/**
 * The one secrets check: loading blocks, verifying a request and answering a handshake all validate a block's
 * secrets here, against the adapter's own `secrets` schema, and fail closed. The message names the keys the
 * platform expects and which one is missing or misspelt, derived from the schema (core never switches on a
 * platform); it never quotes a value.
 */
export function checkSecrets<Secrets>(
  adapter: PlatformAdapter<unknown, Secrets>,
  secrets: unknown,
  where?: string,
): Secrets {
  const checked = adapter.secrets.safeParse(secrets);
  if (checked.success) return checked.data;
  const detail = explainSecrets(adapter.secrets, secrets, checked.error);
  if (where !== undefined)
    throw new ConfigError(`${where}: secrets are missing or invalid for ${adapter.platform}: ${detail}`);
  throw new ConfigError(`secrets are missing or invalid, refusing to accept requests: ${detail}`, {
    platform: adapter.platform,
  });
}

interface Key {
  readonly name: string;
  readonly optional: boolean;
  /** shown for literal keys such as `allow_unverified: true` */
  readonly literal?: string;
}

interface Shape {
  readonly schema: z.ZodType;
  readonly keys: readonly Key[];
}

function shapeOf(schema: z.ZodObject): Shape {
  const keys = Object.entries(schema.shape).map(([name, field]): Key => {
    const optional = (field as z.ZodType).safeParse(undefined).success;
    if (field instanceof z.ZodLiteral && field.values.size === 1) {
      return { name, optional, literal: JSON.stringify([...field.values][0]) };
    }
    return { name, optional };
  });
  return { schema, keys };
}

/** The object shapes a secrets schema accepts: one for an object, one per alternative for a union of objects. */
function shapesOf(schema: z.ZodType): Shape[] | undefined {
  if (schema instanceof z.ZodObject) return [shapeOf(schema)];
  if (schema instanceof z.ZodUnion) {
    const shapes = (schema.options as readonly z.ZodType[]).map((option) =>
      option instanceof z.ZodObject ? shapeOf(option) : undefined,
    );
    return shapes.every((shape) => shape !== undefined) ? shapes : undefined;
  }
  return undefined;
}

function showShape(shape: Shape): string {
  const keys = shape.keys.map(
    (key) => `${key.name}${key.optional ? "?" : ""}${key.literal === undefined ? "" : `: ${key.literal}`}`,
  );
  return `{ ${keys.join(", ")} }`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function closest(name: string, keys: readonly Key[]): string | undefined {
  const lower = name.toLowerCase().replaceAll("-", "_");
  const scored = keys.map((key) => ({ key: key.name, distance: editDistance(lower, key.name) }));
  const best = scored.sort((a, b) => a.distance - b.distance)[0];
  return best !== undefined && best.distance <= Math.max(2, Math.floor(best.key.length / 3)) ? best.key : undefined;
}

function typeName(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function explainSecrets(schema: z.ZodType, value: unknown, error: z.ZodError): string {
  const shapes = shapesOf(schema);
  if (shapes === undefined) return describeIssues(error);
  const expected = `expected ${shapes.map(showShape).join(" or ")}`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) return `${expected}, got ${typeName(value)}`;
  const given = Object.keys(value);
  // the alternative the given keys come closest to: most keys in common, then fewest required keys missing
  const ranked = shapes
    .map((shape) => {
      const names = new Set(shape.keys.map((key) => key.name));
      const common = given.filter((name) => names.has(name)).length;
      const missing = shape.keys.filter((key) => !key.optional && !given.includes(key.name)).map((key) => key.name);
      const unknown = given.filter((name) => !names.has(name));
      return { shape, common, missing, unknown };
    })
    .sort((a, b) => b.common - a.common || a.missing.length + a.unknown.length - (b.missing.length + b.unknown.length));
  const best = ranked[0]!;
  const suggested = new Set<string>();
  const misspelt = best.unknown.slice(0, 5).map((name) => {
    const suggestion = closest(name, best.shape.keys);
    if (suggestion !== undefined) suggested.add(suggestion);
    return `${JSON.stringify(name.slice(0, 64))} is not a key${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}`;
  });
  const problems = [
    ...best.missing.filter((name) => !suggested.has(name)).map((name) => `${name} is missing`),
    ...misspelt,
  ];
  if (problems.length === 0) {
    const own = best.shape.schema.safeParse(value);
    problems.push(own.success ? describeIssues(error) : describeIssues(own.error));
  }
  return `${expected}; ${problems.join("; ")}`;
}
