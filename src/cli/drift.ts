import { readFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, relative } from "node:path";
import { parseArgs } from "node:util";
import { ConvoticError, messageOf, type DriftRecord, type Normalizer } from "../core";
import { defaultContext } from "../testing/fixtures";
import { COMMANDS } from "./commands";
import { CliError, EXIT, line, type CliIO } from "./io";
import { collect } from "./replay";

export const driftUsage = `usage: ${COMMANDS.drift.usage}`;

/** One path of one platform, over every body read. */
interface Summary {
  readonly platform: string;
  readonly path: string;
  readonly change: DriftRecord["change"];
  readonly value_kind: DriftRecord["value_kind"];
  readonly example: string;
  /** the first body it was seen in */
  readonly file: string;
  count: number;
  files: number;
}

/**
 * `convotic drift FILE|DIR…`: normalises stored raw bodies in-process (as `replay` does, without goldens) and
 * summarises what they hold that their platform's catalogue does not know: each new path with its occurrences,
 * the number of bodies, one example and the first body. A summary, not a check: exit 0 whatever it finds
 * (bodies that cannot be normalised are counted and named on stderr).
 */
export async function driftCommand(args: string[], io: CliIO, normalizer: Normalizer): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { platform: { type: "string", short: "p" }, json: { type: "boolean" } },
  });
  if (positionals.length === 0) throw new CliError(`no FILE or DIR given\n${driftUsage}`, EXIT.usage);
  const chosen = values.platform;
  if (chosen !== undefined && !normalizer.platforms.includes(chosen))
    throw new CliError(`unknown platform "${chosen}" (available: ${normalizer.platforms.join(", ")})`, EXIT.usage);
  const files = await collect(positionals);
  if (files.length === 0) throw new CliError(`no *.json bodies found in ${positionals.join(", ")}`, EXIT.input);
  // as the user would type it from here; outside the current directory, as given
  const name = (file: string) => {
    const rel = relative(process.cwd(), file);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel;
  };
  const byPath = new Map<string, Summary>();
  let drifting = 0;
  let failed = 0;
  for (const file of files) {
    const platform = chosen ?? basename(dirname(file));
    if (!normalizer.platforms.includes(platform)) {
      failed += 1;
      line(io.stderr, `skipped ${name(file)}: no platform "${platform}" (the folder name); pass --platform`);
      continue;
    }
    let drift: readonly DriftRecord[];
    try {
      drift = normalizer.normalize(platform, await readFile(file), defaultContext(platform)).drift ?? [];
    } catch (error) {
      if (!(error instanceof ConvoticError) && (error as NodeJS.ErrnoException).code === undefined) throw error;
      failed += 1;
      line(io.stderr, `failed ${name(file)}: ${messageOf(error)}`);
      continue;
    }
    if (drift.length > 0) drifting += 1;
    for (const record of drift) {
      const key = `${platform}\u0000${record.change}\u0000${record.path}`;
      const known = byPath.get(key);
      if (known !== undefined) {
        known.count += record.count;
        known.files += 1;
        continue;
      }
      const { path, change, value_kind, example, count } = record;
      byPath.set(key, { platform, path, change, value_kind, example, file: name(file), count, files: 1 });
    }
  }
  const rows = [...byPath.values()].sort(
    (a, b) => a.platform.localeCompare(b.platform) || b.count - a.count || a.path.localeCompare(b.path),
  );
  if (values.json === true) line(io.stdout, JSON.stringify(rows, null, 2));
  else
    for (const row of rows)
      line(
        io.stdout,
        `${row.platform} ${row.path}: new ${row.change}, ${row.count} time(s) in ${row.files} body(ies), e.g. ${row.value_kind} ${row.example} (${row.file})`,
      );
  line(
    io.stderr,
    `files ${files.length}, with drift ${drifting}, new paths ${rows.length}${failed > 0 ? `, not read ${failed}` : ""}`,
  );
  return EXIT.ok;
}
