import type { Logger } from "../core";
import type { SignalSource } from "./io";

export type StopSignal = "SIGTERM" | "SIGINT";
/** How often serve checks that the `npx` that started it is still there. */
const LAUNCHER_POLL_MS = 500;

/**
 * Every SIGTERM/SIGINT is heard while serve runs: the first starts the shutdown (`first`); a later one (npm
 * forwards the signal a supervisor or `timeout` also sent to the whole process group; Ctrl-C reaches npm and node)
 * only gets a log line, because Node's default action would kill serve mid-grace and lose what it acknowledged.
 * The grace period is bounded anyway; SIGKILL is the way to stop at once.
 */
export function listenForStop(signals: SignalSource, logger: Logger, launcher: string | undefined) {
  let stopsBy: number | undefined;
  let done = false;
  let firstSignal: (signal: StopSignal) => void = () => undefined;
  const first = new Promise<StopSignal>((resolve) => (firstSignal = resolve));
  const heard = (signal: StopSignal) => {
    if (done) return;
    if (stopsBy === undefined) return firstSignal(signal);
    const left = Math.max(0, stopsBy - Date.now());
    logger.warn(
      `${signal} received while stopping: the grace period continues (${left} ms left); SIGKILL stops at once`,
      { signal },
    );
  };
  const onTerm = () => heard("SIGTERM");
  const onInt = () => heard("SIGINT");
  signals.on("SIGTERM", onTerm);
  signals.on("SIGINT", onInt);
  const orphan = signals === process && launcher === "exec" ? watchLauncher(() => heard("SIGTERM"), logger) : undefined;
  return {
    first,
    /** the shutdown began: later signals are logged against its grace period */
    stopping(graceMs: number): void {
      stopsBy = Date.now() + graceMs;
    },
    /** serve is done; a signal from now on changes nothing */
    stopped(): void {
      done = true;
      if (orphan !== undefined) clearInterval(orphan);
      // On the real process the listeners stay until main.ts exits (within 500 ms): removed, they would hand a
      // signal arriving in between (npm's forwarded copy) back to Node's default action, a death by signal.
      if (signals === process) return;
      signals.removeListener("SIGTERM", onTerm);
      signals.removeListener("SIGINT", onInt);
    },
  };
}

/**
 * `npx convotic serve` (npm exec) does not pass SIGTERM on: npm exits and serve, re-parented, ran on holding the
 * port. Started by npm exec, serve watches its parent and takes the parent's going away as the SIGTERM a supervisor
 * sent (the same graceful stop). Supervisors should still run `node_modules/.bin/convotic` or `exec` it (README).
 */
function watchLauncher(stop: () => void, logger: Logger): NodeJS.Timeout {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    logger.warn(
      "the npm exec (npx) process that started serve is gone, and npm does not pass signals on: stopping as for " +
        "SIGTERM (under a supervisor, run node_modules/.bin/convotic instead)",
      { signal: "SIGTERM" },
    );
    stop();
  }, LAUNCHER_POLL_MS);
  timer.unref();
  return timer;
}
