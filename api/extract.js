// The API reports in this folder: one `<entry>.api.md` per entry point of package.json `exports`, written by
// @microsoft/api-extractor from the built declarations (run `npm run build` first).
//   node api/extract.js          checks: exits 1 and names each entry whose surface differs from its report
//   node api/extract.js --update rewrites the reports; commit them with the change that moved the surface
//   --only NAME   checks one entry (e.g. convotic-testing)
//   --reports DIR compares with (or writes) the reports in DIR instead of this folder (the test's tampered copy)
// One compiler state serves every entry, so a check takes seconds rather than one program per entry.
const { mkdtempSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { CompilerState, Extractor, ExtractorConfig } = require("@microsoft/api-extractor");

const root = join(__dirname, "..");
const manifest = require(join(root, "package.json"));

/** `convotic` → dist/index.d.ts, `convotic/http` → dist/public/http.d.ts, … (report name: convotic, convotic-http, …). */
function entryPoints() {
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === "object" && target.types !== undefined)
    .map(([subpath, target]) => ({
      name: subpath === "." ? manifest.name : `${manifest.name}-${subpath.slice(2).replace(/\//g, "-")}`,
      types: join(root, target.types),
    }));
}

function configOf(entry, tempFolder, reportFolder) {
  return ExtractorConfig.prepare({
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: entry.types,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: "ES2022",
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            types: ["node"],
            skipLibCheck: true,
          },
          files: [entry.types],
        },
      },
      apiReport: { enabled: true, reportFileName: `${entry.name}.api.md`, reportFolder, reportTempFolder: tempFolder },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        // the report records the surface; release tags and doc-comment style are not what it reviews
        compilerMessageReporting: { default: { logLevel: "warning" } },
        extractorMessageReporting: { default: { logLevel: "none" } },
        tsdocMessageReporting: { default: { logLevel: "none" } },
      },
    },
    configObjectFullPath: join(__dirname, "api-extractor.json"),
    packageJsonFullPath: join(root, "package.json"),
  });
}

function main() {
  const update = process.argv.includes("--update");
  const reportsAt = process.argv.indexOf("--reports");
  const reportFolder = reportsAt === -1 ? __dirname : process.argv[reportsAt + 1];
  const onlyAt = process.argv.indexOf("--only");
  const entries = entryPoints().filter((entry) => onlyAt === -1 || entry.name === process.argv[onlyAt + 1]);
  if (entries.length === 0) throw new Error(`no entry point named ${process.argv[onlyAt + 1]}`);
  const tempFolder = mkdtempSync(join(tmpdir(), "convotic-api-"));
  try {
    const configs = entries.map((entry) => configOf(entry, tempFolder, reportFolder));
    const compilerState = CompilerState.create(configs[0], {
      additionalEntryPoints: entries.map((entry) => entry.types),
    });
    const changed = [];
    for (const [index, config] of configs.entries()) {
      const result = Extractor.invoke(config, {
        localBuild: update,
        compilerState,
        showVerboseMessages: false,
        messageCallback: quiet,
      });
      if (!result.succeeded || result.apiReportChanged) changed.push(entries[index].name);
    }
    if (changed.length > 0 && !update) {
      process.stderr.write(
        `API surface changed without its report: ${changed.join(", ")}; run \`npm run build && node api/extract.js --update\`, review and commit api/*.api.md\n`,
      );
      process.exitCode = 1;
    } else if (update) process.stdout.write(`wrote ${entries.map((entry) => `api/${entry.name}.api.md`).join(", ")}\n`);
  } finally {
    rmSync(tempFolder, { recursive: true, force: true });
  }
}

/** Keeps api-extractor's progress chatter off the output; warnings and errors still print. */
function quiet(message) {
  if (message.logLevel === "info" || message.logLevel === "verbose") message.handled = true;
}

main();
