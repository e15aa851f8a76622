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
import { type Cognito, createCognito } from "./server.ts";

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
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  log.fatal(
    `port "${portText}" is not a port number: pass --port 0..65535 or set COGNITO_PORT (0 picks a free one)`,
  );
  process.exit(2);
}
const dataDir = values["data-dir"] ?? (process.env.COGNITO_DATA_DIR || undefined);
const publicUrl = values["public-url"] ?? (process.env.COGNITO_PUBLIC_URL || undefined);

let cognito: Cognito;
try {
  cognito = await createCognito({ host, port, config, dataDir, publicUrl, logger: log });
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    log.fatal(
      `port ${port} on ${host} is in use: stop whatever holds it (another \`make dev\`?), or pass --port / set COGNITO_PORT`,
    );
  else log.fatal({ err }, `the mock Cognito did not start: ${(err as Error).message}`);
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
  setTimeout(() => {
    log.error("close took more than 5 s: exiting anyway");
    process.exit(1);
  }, 5000).unref();
  await cognito.close();
  log.info("stopped");
  process.exit(0);
}

process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
if (process.channel) process.on("disconnect", () => void stop("launcher disconnected"));
