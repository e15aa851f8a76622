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
import { exitOnStartFailure, portOrExit, stopOnSignals } from "../../services/lib/process-lifecycle.ts";
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
const port = portOrExit(portText, "EMULATOR_PORT", log);
const dataDir = values["data-dir"] ?? (process.env.EMULATOR_DATA_DIR || undefined);
const transitionText = values["ec2-transition-ms"] ?? (process.env.EMULATOR_EC2_TRANSITION_MS || undefined);
const transitionMs = transitionText === undefined ? undefined : Number(transitionText);
if (transitionMs !== undefined && !(Number.isInteger(transitionMs) && transitionMs >= 0)) {
  log.fatal(`--ec2-transition-ms "${transitionText}" is not a whole number of milliseconds`);
  process.exit(2);
}

const emulator = await startEmulator({
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
}).catch((err: unknown) =>
  exitOnStartFailure(err, log, {
    host,
    port,
    what: "the emulator",
    inUseBy: "another `make dev`, or `make down` for compose",
    envVar: "EMULATOR_PORT",
  }),
);

stopOnSignals(log, () => emulator.close());
