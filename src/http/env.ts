import { ConfigError } from "../core";

/** Environment variables `${NAME}` references are resolved from; injected so tests and the CLI choose. */
export type Env = Readonly<Record<string, string | undefined>>;

/** `${NAME}` or `${NAME:-default}` at the start of the text; a default holds no `$`, `{` or `}` (no nesting). */
const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^${}]*))?\}/;
const HOW = "write ${NAME}, ${NAME:-default}, or $$ for a literal $";

/**
 * One config string with its references replaced. Every `$` is `$$` (a literal dollar), `${NAME}` or
 * `${NAME:-default}` (shell semantics: the default applies when the variable is unset or empty); anything else
 * (`$X`, `${X`, `${ X }`, `${X:=y}`, `${X-y}`, a nested default) is a `ConfigError`: kept as literal text, a
 * mistyped reference would become the secret itself. Messages name the field, never its value.
 */
function resolveString(text: string, env: Env, where: string, path: string): string {
  if (!text.includes("$")) return text;
  let out = "";
  let from = 0;
  for (let at = text.indexOf("$"); at !== -1; at = text.indexOf("$", from)) {
    out += text.slice(from, at);
    if (text[at + 1] === "$") {
      out += "$";
      from = at + 2;
      continue;
    }
    const match = REFERENCE.exec(text.slice(at));
    if (match === null) throw new ConfigError(`${where}: ${path} has a malformed reference (${HOW})`);
    const [whole, name, fallback] = match as unknown as [string, string, string | undefined];
    const set = env[name];
    if (set !== undefined && (set !== "" || fallback === undefined)) out += set;
    else if (fallback !== undefined) out += fallback;
    else throw new ConfigError(`${where}: ${path} references \${${name}}, which is not set`);
    from = at + whole.length;
  }
  return out + text.slice(from);
}

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of a config section, and `$$` by `$`. A reference to
 * an unset variable without a default, or a `$` that starts neither, is a `ConfigError` naming the field.
 */
export function resolveEnv(value: unknown, env: Env, where: string, path: string): unknown {
  if (typeof value === "string") return resolveString(value, env, where, path === "" ? "the value" : path);
  if (Array.isArray(value)) return value.map((item, index) => resolveEnv(item, env, where, `${path}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolveEnv(item, env, where, path === "" ? key : `${path}.${key}`),
      ]),
    );
  }
  return value;
}

/** Whether a config string names its value through a reference only (`${NAME}` or `${NAME:-…}`, nothing else). */
export function isReferenceOnly(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const match = REFERENCE.exec(value);
  return match !== null && match[0].length === value.length;
}
