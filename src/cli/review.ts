import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, relative } from "node:path";
import { ConvoticError, messageOf, type Normalizer, type NormalizeResult } from "../core";
import { OUTPUT_FORMATS, type OutputFormatName } from "../formats/output";
import { defaultContext, fixtureContentType, goldenPathOf, goldenText } from "../testing/fixtures";
import { diffJson, formatChanges } from "../testing/json-diff";
import { CliError, EXIT, line, type CliIO } from "./io";

export type ReviewFormat = OutputFormatName;

export interface ReviewOptions {
  /** the platform of every body, for bodies outside a `<platform>/` folder */
  readonly platform?: string;
  /** rewrite changed goldens and write missing ones */
  readonly update: boolean;
  /** also print each envelope in this projection, one JSON line per event, on stdout */
  readonly format?: ReviewFormat;
  /** the subscriber name thread-style delivery ids are derived for */
  readonly subscriber: string;
}

/**
 * `convotic replay DIR…` without `--to`: normalises every stored raw body in-process with the golden context
 * (`ws_test`, `blk_<platform>_test`, received 2026-11-22T12:00:00.000Z) and compares with the golden file beside
 * it. The per-field diffs go to stdout (to stderr when `--format` prints projections there), the summary to stderr.
 * Exit 1 on any changed, new or failed file; `--update` writes the goldens and exits 0 unless a file failed.
 */
export async function reviewCommand(
  files: readonly string[],
  options: ReviewOptions,
  io: CliIO,
  normalizer: Normalizer,
): Promise<number> {
  if (options.platform !== undefined && !normalizer.platforms.includes(options.platform)) {
    throw new CliError(
      `unknown platform "${options.platform}" (available: ${normalizer.platforms.join(", ")})`,
      EXIT.usage,
    );
  }
  const format = options.format === undefined ? undefined : OUTPUT_FORMATS[options.format];
  const report = format === undefined ? io.stdout : io.stderr;
  const counts = { files: files.length, equal: 0, changed: 0, new: 0, failed: 0 };
  let unprojected = 0;
  const name = (file: string) => relative(process.cwd(), file) || file;
  for (const file of files) {
    const platform = options.platform ?? basename(dirname(file));
    if (!normalizer.platforms.includes(platform)) {
      counts.failed += 1;
      line(report, `failed ${name(file)}: no platform "${platform}" (the folder name); pass --platform`);
      continue;
    }
    let result: NormalizeResult;
    try {
      result = normalizer.normalize(platform, await readFile(file), defaultContext(platform), fixtureContentType(file));
    } catch (error) {
      if (!(error instanceof ConvoticError) && (error as NodeJS.ErrnoException).code === undefined) throw error;
      counts.failed += 1;
      line(report, `failed ${name(file)}: ${messageOf(error)}`);
      continue;
    }
    if (format !== undefined) {
      for (const event of result.events) {
        const projected = format.project(event, options.subscriber);
        if (projected === undefined) unprojected += 1;
        else line(io.stdout, JSON.stringify(projected));
      }
    }
    // what the platform sent that its catalogue does not know: said on stderr beside the summary (stdout holds
    // only the diffs), never part of the golden (docs/drift.md)
    for (const item of result.drift ?? [])
      line(io.stderr, `drift ${name(file)}: ${item.path} (new ${item.change}, ${item.value_kind} ${item.example})`);
    const goldenPath = goldenPathOf(file);
    const text = goldenText(result);
    if (!existsSync(goldenPath)) {
      counts.new += 1;
      line(
        report,
        `new ${name(file)}: ${result.events.length} event(s), ${result.unhandled.length} unhandled${options.update ? " (golden written)" : ""}`,
      );
      if (options.update) await writeFile(goldenPath, text);
      continue;
    }
    const stored = await readFile(goldenPath, "utf8");
    if (stored === text) {
      counts.equal += 1;
      continue;
    }
    let before: unknown;
    try {
      before = JSON.parse(stored);
    } catch (error) {
      before = undefined;
      line(report, `changed ${name(goldenPath)}: the golden is not JSON (${messageOf(error)})`);
    }
    counts.changed += 1;
    if (before !== undefined) {
      const changes = diffJson(before, JSON.parse(text));
      line(
        report,
        `changed ${name(goldenPath)}${changes.length === 0 ? ": formatting only" : ""}${options.update ? " (rewritten)" : ""}`,
      );
      for (const entry of formatChanges(changes)) line(report, entry);
    }
    if (options.update) await writeFile(goldenPath, text);
  }
  const skipped =
    format?.counterpart === undefined ? "" : `, ${unprojected} event(s) without a ${format.counterpart} counterpart`;
  line(
    io.stderr,
    `files ${counts.files}, equal ${counts.equal}, changed ${counts.changed}, new ${counts.new}, failed ${counts.failed}${skipped}`,
  );
  if (counts.failed > 0) return EXIT.input;
  if (options.update) return EXIT.ok;
  return counts.changed + counts.new > 0 ? EXIT.input : EXIT.ok;
}
