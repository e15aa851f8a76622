/**
 * Runs the mock Cognito on its own:
 *
 *   node emulators/cognito/main.ts [--host 127.0.0.1] [--port 9229] [--data-dir .data/cognito] [--public-url URL]
 *
 * Flags win over COGNITO_HOST / COGNITO_PORT / COGNITO_DATA_DIR / COGNITO_PUBLIC_URL; the port
 * defaults to `ports.cognito` in config/platform.json. Without a data dir the signing keys live in
 * memory (tokens stop verifying after a restart). `--public-url` sets the issuer's base when the
 * listening address is not the one clients use (e.g. 0.0.0.0 in a container). Stops cleanly on
 * SIGINT/SIGTERM, and when the launcher that spawned it with an IPC channel goes away.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../services/lib/config.ts";
import { createLogger } from "../../services/lib/logger.ts";
import { exitOnStartFailure, portOrExit, stopOnSignals } from "../../services/lib/process-lifecycle.ts";
import { createCognito } from "./server.ts";

const log = createLogger("cognito");

const { values } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string" },
    "data-dir": { type: "string" },
    "public-url": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: node emulators/cognito/main.ts [--host HOST] [--port PORT] [--data-dir DIR] [--public-url URL]",
  );
  process.exit(0);
}

const config = loadConfig();
const host = values.host ?? process.env.COGNITO_HOST ?? "127.0.0.1";
const portText = values.port ?? process.env.COGNITO_PORT ?? String(config.ports.cognito);
const port = portOrExit(portText, "COGNITO_PORT", log);
const dataDir = values["data-dir"] ?? (process.env.COGNITO_DATA_DIR || undefined);
const publicUrl = values["public-url"] ?? (process.env.COGNITO_PUBLIC_URL || undefined);

const cognito = await createCognito({ host, port, config, dataDir, publicUrl, logger: log }).catch(
  (err: unknown) =>
    exitOnStartFailure(err, log, {
      host,
      port,
      what: "the mock Cognito",
      inUseBy: "another `make dev`?",
      envVar: "COGNITO_PORT",
    }),
);

stopOnSignals(log, () => cognito.close());
