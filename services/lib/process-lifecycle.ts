/**
 * The start and stop plumbing of a server's `main.ts` that runs on its own or under the launcher
 * (`make dev`): the port from a flag or variable, a start failure as one fatal line (a port in use
 * names the fix), and a clean stop on SIGINT/SIGTERM or when the launcher goes away.
 */
import type { Logger } from "./logger.ts";

/** `text` as a port 0..65535; anything else is fatal (exit 2) with a line naming `--port` and `envVar`. */
export function portOrExit(text: string, envVar: string, log: Logger): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log.fatal(
      `port "${text}" is not a port number: pass --port 0..65535 or set ${envVar} (0 picks a free one)`,
    );
    process.exit(2);
  }
  return port;
}

export interface StartFailure {
  host: string;
  port: number;
  /** Who did not start, e.g. "the emulator". */
  what: string;
  /** What may hold a port in use, e.g. "another `make dev`?". */
  inUseBy: string;
  /** The variable that sets the port. */
  envVar: string;
}

/** Logs why the server did not start (a port in use names the fix) and exits 1. */
export function exitOnStartFailure(err: unknown, log: Logger, f: StartFailure): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    log.fatal(
      `port ${f.port} on ${f.host} is in use: stop whatever holds it (${f.inUseBy}), or pass --port / set ${f.envVar}`,
    );
  else log.fatal({ err }, `${f.what} did not start: ${(err as Error).message}`);
  process.exit(1);
}

/**
 * Calls `close` and exits 0 on SIGINT/SIGTERM, and when the launcher that spawned this process
 * with an IPC channel goes away (so a killed launcher leaves nothing behind). A second signal
 * exits 1 at once; a close that takes more than 5 s exits 1, since the parent waits for the exit.
 */
export function stopOnSignals(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  async function stop(reason: string) {
    if (stopping) {
      log.warn(`${reason} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log.info({ reason }, "stopping");
    setTimeout(() => {
      log.error("close took more than 5 s: exiting anyway");
      process.exit(1);
    }, 5000).unref();
    await close();
    log.info("stopped");
    process.exit(0);
  }
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  stopWithLauncher((reason) => void stop(reason));
}

/**
 * Under the launcher (`make dev`, an IPC channel): `stop` when it goes away, even when it was
 * killed outright. The whole stack goes with it, emulator included, so a stop still trying to
 * flush logs or metrics to it after `graceMs` exits anyway rather than retrying for seconds.
 */
export function stopWithLauncher(stop: (reason: string) => void, graceMs = 2000): void {
  // `process.send` exists only in a process spawned with an IPC channel, and stays once it closes.
  if (typeof process.send !== "function") return;
  const gone = () => {
    setTimeout(() => process.exit(0), graceMs).unref();
    stop("launcher disconnected");
  };
  // Callers register once they have started: the launcher may have gone while they were starting.
  if (process.connected) process.once("disconnect", gone);
  else gone();
}
