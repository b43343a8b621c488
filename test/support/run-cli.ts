import { Readable, Writable } from "node:stream";
import { run } from "../../src/cli/main";

/** Runs the CLI in-process with captured streams (the binary's code path minus process start-up). */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const capture = () => {
    let text = "";
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream, text: () => text };
  };
  const stdout = capture();
  const stderr = capture();
  const code = await run(args, { stdin: Readable.from([]), stdout: stdout.stream, stderr: stderr.stream, env });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
