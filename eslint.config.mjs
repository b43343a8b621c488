// Lint rules that keep the house's walls (docs/architecture.md): who may import whom. Formatting is prettier's.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const LAYERS_ABOVE_CORE = "adapters|http|delivery|cli|testing|formats|observe|docs|public|inspect";
const ADAPTERS = "instagram|line|messenger|telegram|viber|whatsapp|twilio|wechat";

const NODE_GLOBALS = [
  ...["process", "Buffer", "console", "performance", "structuredClone", "require", "module", "__dirname"],
  ...["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "queueMicrotask"],
  ...["URL", "URLSearchParams", "Request", "Response", "Headers", "fetch", "AbortSignal", "AbortController"],
  ...["TextEncoder", "TextDecoder"],
];

const restrict = (...patterns) => ["error", { patterns: patterns.map(([regex, message]) => ({ regex, message })) }];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "coverage/**", ".convotic/**", "fixtures/**", "api/**", "docs/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // optional peers (ioredis, NATS) and the native outbox load lazily, on first use, by require()
      "@typescript-eslint/no-require-imports": "off",
      // log escaping and id checks match control characters on purpose
      "no-control-regex": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: Object.fromEntries(NODE_GLOBALS.map((name) => [name, "readonly"])) },
  },
  {
    // type tests name parameters only to assert their types
    files: ["test/types/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-vars": ["error", { args: "none" }] },
  },
  {
    files: ["src/core/*.ts"],
    rules: {
      "no-restricted-imports": restrict([
        `^\\.\\./(${LAYERS_ABOVE_CORE})(/|$)`,
        "core imports nothing above it: the registry of adapters, the edge and the sinks are injected",
      ]),
    },
  },
  {
    files: ["src/core/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict([
        `^\\.\\./\\.\\./(${LAYERS_ABOVE_CORE})(/|$)`,
        "the engine room is part of core and imports nothing above it",
      ]),
    },
  },
  {
    files: ["src/adapters/**/*.ts"],
    rules: {
      "no-restricted-imports": restrict(
        ["core/engine", "adapters reach the engine room only through the builder (core's public names)"],
        [`^\\.\\./\\.\\./(${LAYERS_ABOVE_CORE.replace("adapters|", "")})(/|$)`, "adapters import core only"],
        [`^\\.\\./(${ADAPTERS})(/|$)`, "no adapter imports another; share code through meta-shared or core"],
      ),
      // core's index re-exports through getters (about 300 instructions a call): types from it, values by module
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(\\.\\./)+core$",
              allowTypeImports: true,
              message:
                "import core's values by module path (core/objects, core/adapter-kit, ...); types may come from core",
            },
          ],
        },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    // core and the adapters have their stricter lists above (a later block would replace them)
    ignores: ["src/cli/**", "src/testing/**", "src/public/**", "src/core/**", "src/adapters/**"],
    rules: {
      "no-restricted-imports": restrict(
        ["(^|/)testing(/|$)", "only the CLI (and the public convotic/testing entry) imports the test kit"],
        ["(^|/)inspect(/|$)", "only the CLI and the public entries import the inspector (a development tool)"],
      ),
    },
  },
);
