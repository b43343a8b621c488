import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { adapters } from "../src/adapters";
import { createNormalizer } from "../src/core";
import { createWebhookHandler, startServer } from "../src/http";

/*
 * Every ```ts block (a ```text block is a listing, not code) of the user-facing docs is compiled against the real source, so an example that no
 * longer matches the API fails here instead of misleading a reader. Names an example uses without defining
 * (the request body, headers, blocks…) are declared with the types a reader would have.
 */
const root = join(__dirname, "..");
const DOCS = ["README.md", "docs/http.md"];
const STANDALONE_DOCS = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
  ...readdirSync(join(root, "docs", "adapters")).map((name) => `docs/adapters/${name}`),
];

const AMBIENT: Readonly<Record<string, string>> = {
  rawBody: "Uint8Array",
  headers: "Record<string, string>",
  blocks: "unknown[]",
  router: 'import("convotic").Router',
  contact_id: "string",
  conversation_id: "string",
};

function examples(file: string): { name: string; code: string }[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match, index) => ({
    name: `${file}#${index + 1}`,
    code: match[1]!,
  }));
}

function compile(snippets: { name: string; code: string }[]): string[] {
  const dir = mkdtempSync(join(root, ".examples-"));
  try {
    const files = snippets.map((snippet, index) => {
      const declared = (name: string) =>
        new RegExp(`\\b(const|let|var|function)\\s+${name}\\b|import\\s*\\{[^}]*\\b${name}\\b`).test(snippet.code);
      const prelude = Object.entries(AMBIENT)
        .filter(([name]) => new RegExp(`\\b${name}\\b`).test(snippet.code) && !declared(name))
        .map(([name, type]) => `declare const ${name}: ${type};`)
        .join("\n");
      const path = join(dir, `example-${index + 1}.mts`);
      writeFileSync(path, `${snippet.code}\n${prelude}\nexport {};\n`);
      return { path, name: snippet.name };
    });
    const program = ts.createProgram(
      files.map((file) => file.path),
      {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noEmit: true,
        types: ["node"],
        paths: { convotic: [join(root, "src", "index.ts")], "convotic/*": [join(root, "src", "public", "*.ts")] },
      },
    );
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
      const source =
        files.find((file) => file.path === diagnostic.file?.fileName)?.name ?? diagnostic.file?.fileName ?? "";
      return `${source}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("documentation examples", () => {
  const snippets = DOCS.flatMap(examples);

  it("exist", () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it("compile against the current API", () => {
    expect(compile(snippets)).toEqual([]);
  }, 60_000);

  it("would catch an example that drifted from the API", () => {
    const drifted = [
      {
        name: "drift",
        code: 'import { createRouter } from "convotic";\ncreateRouter().on("messaging.message.recieved", () => {});\n',
      },
    ];
    const errors = compile(drifted);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^drift: Argument of type '"messaging\.message\.recieved"' is not assignable/);
  }, 60_000);
});

/*
 * Running them: each example is transpiled to an ES module inside the repository, where `import "convotic"`
 * resolves to the built package through its own `exports` (as in an app that installed it) and express to the
 * dev dependency. What the examples leave to the reader is real: a Telegram fixture with a valid secret-token
 * header, a block with that secret, a router that prints the message text. An example that serves HTTP gets the
 * same request through its own routes (a fixed port 3000 is moved to a free one); a Next.js route file is asked
 * at the path its folder gives. Each must exit 0 having printed the message text.
 */
const TOKEN = "docs-example-token_9Jq";
const fixture = readFileSync(join(root, "fixtures", "telegram", "message-start-deep-link.json"));
const expectedText = (() => {
  const [first] = createNormalizer({ adapters }).normalize("telegram", fixture, {
    workspace_id: "w",
    block_id: "b",
  }).events;
  if (first?.type !== "messaging.message.received" || first.data.message.text === undefined)
    throw new Error("fixture has no text message");
  return first.data.message.text;
})();

const PRELUDE = `
import { readFileSync as __read } from "node:fs";
import { contactId as __contactId, conversationId as __conversationId, createRouter as __createRouter } from "convotic";
const rawBody = __read(${JSON.stringify(join(root, "fixtures", "telegram", "message-start-deep-link.json"))});
const headers = { "content-type": "application/json", "x-telegram-bot-api-secret-token": ${JSON.stringify(TOKEN)} };
const blocks = [{ id: "tg-main", platform: "telegram", workspace_id: "ws_1", secrets: { secret_token: ${JSON.stringify(TOKEN)} } }];
const router = __createRouter().on("messaging.message.received", (e) => console.log(e.data.message.text));
const contact_id = __contactId("blk_tg_1", 1);
const conversation_id = __conversationId("blk_tg_1", 1);
`;

// records the server an example starts, on a free port instead of a fixed one
const LISTEN_HOOK = `
import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number") args[0] = 0;
  globalThis.__exampleServer = this;
  return listen.apply(this, args);
};
`;

function driver(code: string): string {
  const post = (url: string) => `new Request(${JSON.stringify(url)}, { method: "POST", headers, body: rawBody })`;
  if (/export const POST\b/.test(code)) {
    const folder = /\/\/ Next\.js: app(\/\S+?)\/\[\w+\]\/route\.ts/.exec(code)?.[1] ?? "/webhooks";
    return `const __response = await POST(${post(`http://localhost${folder}/tg-main`)});
if (__response.status !== 200) throw new Error("POST answered " + __response.status + " " + await __response.text());`;
  }
  if (/\.listen\(/.test(code)) {
    return `const __server = globalThis.__exampleServer;
if (!__server.listening) await new Promise((resolve) => __server.once("listening", resolve));
const __response = await fetch("http://127.0.0.1:" + __server.address().port + "/webhooks/tg-main", { method: "POST", headers, body: rawBody });
if (__response.status !== 200) throw new Error("POST answered " + __response.status + " " + await __response.text());
__server.close();
__server.closeAllConnections?.();`;
  }
  return "";
}

function runExample(snippet: { name: string; code: string }) {
  const dir = mkdtempSync(join(root, ".examples-"));
  try {
    const declared = (name: string) => new RegExp(`\\b(const|let|var|function)\\s+${name}\\b`).test(snippet.code);
    const prelude = PRELUDE.split("\n")
      .filter((line) => !/^const (\w+)/.test(line) || !declared(/^const (\w+)/.exec(line)![1]!))
      .join("\n");
    const source = `${prelude}\n${snippet.code}\n${driver(snippet.code)}\n`;
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(dir, "hook.mjs"), LISTEN_HOOK);
    writeFileSync(join(dir, "example.mjs"), js);
    const result = spawnSync(process.execPath, ["--import", "./hook.mjs", "example.mjs"], {
      cwd: dir,
      env: { ...process.env, TG_SECRET: TOKEN, TELEGRAM_SECRET_TOKEN: TOKEN },
      encoding: "utf8",
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("documentation examples, run", () => {
  const snippets = DOCS.flatMap(examples);

  it.each(snippets.map((snippet) => [snippet.name, snippet] as const))(
    "%s runs and handles a real webhook",
    (_name, snippet) => {
      const out = runExample(snippet);
      expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: "" });
      // the application-event example emits and prints nothing; every other one receives the fixture
      if (!/router\.emit\(/.test(snippet.code)) expect(out.stdout).toContain(expectedText);
    },
    60_000,
  );
});

describe("documentation stands alone", () => {
  it.each(STANDALONE_DOCS)("%s names no file a clone does not have and no internal seed number", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(text.match(/\.\.\/shared|meta-platforms\.md|telegram-line\.md|peers\.md|seed-\d{3}/g)).toBeNull();
  });

  it.each(readdirSync(join(root, "docs", "adapters")))(
    "docs/adapters/%s cites the platform's own documentation",
    (file) => {
      const text = readFileSync(join(root, "docs", "adapters", file), "utf8");
      expect(text).toMatch(
        /https:\/\/(core\.telegram\.org|developers\.line\.biz|developers\.facebook\.com|developers\.viber\.com|developers\.weixin\.qq\.com|www\.twilio\.com)\//,
      );
    },
  );
});

describe("the README's CLI examples, run", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const bin = join(root, "dist", "cli", "main.js");
  const SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

  it("convotic trigger prints what the README shows, against a real receiver", async () => {
    const example = /```sh\n\$ npx convotic trigger (.+)\n([\s\S]*?)```/.exec(readme);
    expect(example).not.toBeNull();
    const [, command, shown] = example!;
    const server = await startServer(
      createWebhookHandler({
        normalizer: createNormalizer({ adapters }),
        blocks: [{ id: "line-main", platform: "line", workspace_id: "ws_1", secrets: { channel_secrets: [SECRET] } }],
      }),
      { port: 0 },
    );
    try {
      const port = new URL(server.url).port;
      const args = command!
        .replace('"$LINE_CHANNEL_SECRET"', SECRET)
        .replace("127.0.0.1:8080", `127.0.0.1:${port}`)
        .split(" ");
      const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(process.execPath, [bin, "trigger", ...args], { cwd: root }, (error, stdout, stderr) =>
          error ? reject(error) : resolve({ stdout, stderr }),
        ),
      );
      expect((out.stdout + out.stderr).replaceAll(`127.0.0.1:${port}`, "127.0.0.1:8080")).toBe(shown);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});
