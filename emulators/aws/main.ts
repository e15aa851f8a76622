/**
 * Runs the AWS emulator on its own:
 *
 *   node emulators/aws/main.ts [--host 127.0.0.1] [--port 4566] [--data-dir .data/aws]
 *                              [--ec2-transition-ms 3000]
 *
 * Flags win over EMULATOR_HOST / EMULATOR_PORT / EMULATOR_DATA_DIR; the port, region and account
 * default to config/platform.json. Without a data dir, state lives in memory. Stops cleanly on
 * SIGINT/SIGTERM, and also when the launcher that spawned it with an IPC channel goes away, so a
 * killed launcher leaves no emulator behind. `--ec2-transition-ms` (or EMULATOR_EC2_TRANSITION_MS)
 * sets how long every EC2 state change takes (boot, stop, shutdown, reboot; default 2-3 s).
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../services/lib/config.ts";
import { createLogger } from "../../services/lib/logger.ts";
import { startEmulator } from "./server.ts";

const log = createLogger("aws-emulator");

const { values } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string" },
    "data-dir": { type: "string" },
    "ec2-transition-ms": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: node emulators/aws/main.ts [--host HOST] [--port PORT] [--data-dir DIR] [--ec2-transition-ms MS]",
  );
  process.exit(0);
}

const config = loadConfig();
const host = values.host ?? process.env.EMULATOR_HOST ?? "127.0.0.1";
const portText = values.port ?? process.env.EMULATOR_PORT ?? String(config.ports.emulator);
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log.fatal(
    `port "${portText}" is not a port number: pass --port 0..65535 or set EMULATOR_PORT (0 picks a free one)`,
  );
  process.exit(2);
}
const dataDir = values["data-dir"] ?? (process.env.EMULATOR_DATA_DIR || undefined);
const transitionText = values["ec2-transition-ms"] ?? (process.env.EMULATOR_EC2_TRANSITION_MS || undefined);
const transitionMs = transitionText === undefined ? undefined : Number(transitionText);
if (transitionMs !== undefined && !(Number.isInteger(transitionMs) && transitionMs >= 0)) {
  log.fatal(`--ec2-transition-ms "${transitionText}" is not a whole number of milliseconds`);
  process.exit(2);
}

let emulator: Awaited<ReturnType<typeof startEmulator>>;
try {
  emulator = await startEmulator({
    host,
    port,
    dataDir,
    region: config.region,
    accountId: config.accountId,
    logger: log,
    ...(transitionMs !== undefined && {
      settings: {
        ec2: {
          pendingMs: transitionMs,
          stoppingMs: transitionMs,
          shuttingDownMs: transitionMs,
          rebootMs: transitionMs,
        },
      },
    }),
  });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    log.fatal(
      `port ${port} on ${host} is in use: stop whatever holds it (another \`make dev\`, or \`make down\` for compose), or pass --port / set EMULATOR_PORT`,
    );
  else log.fatal({ err }, `the emulator did not start: ${(err as Error).message}`);
  process.exit(1);
}

let stopping = false;
async function stop(reason: string) {
  if (stopping) {
    log.warn(`${reason} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  log.info({ reason }, "stopping");
  // A close that hangs must not keep the process alive: the parent is waiting for it to exit.
  setTimeout(() => {
    log.error("close took more than 5 s: exiting anyway");
    process.exit(1);
  }, 5000).unref();
  await emulator.close();
  log.info("stopped");
  process.exit(0);
}

process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
if (process.channel) process.on("disconnect", () => void stop("launcher disconnected"));
