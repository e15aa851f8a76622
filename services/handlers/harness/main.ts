/**
 * `node services/handlers/harness/main.ts`: the local trigger harness for the scheduled handlers
 * (waker, watchdog, dead letters), started by `make dev` after provisioning. Needs the AWS
 * endpoint like every service (AWS_ENDPOINT_URL).
 *
 * - HANDLER_SCHEDULES: per-handler rates in seconds overriding config.handlers, e.g.
 *   `waker=5,watchdog=10,deadLetters=5` (make dev sets short ones for a demo).
 * - IDLE_STOP_SECONDS: the watchdog's idle time instead of config.gpu.idleStopSeconds.
 * - HANDLERS_PORT: `GET /healthz` answers here with each schedule's counts and last invocation
 *   (0 or unset: a free port, logged).
 *
 * A handler's error never ends the process; SIGINT/SIGTERM (or the launcher going away) stop the
 * schedules, give running invocations up to 2 s to finish, and exit 0.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig, type PlatformConfig } from "../../lib/config.ts";
import { createLogger } from "../../lib/logger.ts";
import { stopWithLauncher } from "../../lib/process-lifecycle.ts";
import { handler as deadLetters } from "../functions/dead-letters.ts";
import { handler as waker } from "../functions/waker.ts";
import { handler as watchdog } from "../functions/watchdog.ts";
import type { Handler, ScheduledEvent } from "../lambda.ts";
import { createHarness, type Schedule } from "./harness.ts";

const log = createLogger("handlers");
process.on("unhandledRejection", (err) => log.error({ err }, "unhandled rejection (ignored)"));

type Name = keyof PlatformConfig["handlers"];
const HANDLERS: Record<Name, Handler<ScheduledEvent>> = { waker, watchdog, deadLetters };

/** `waker=5,watchdog=10` -> seconds by handler; names and numbers are checked. */
function parseSchedules(raw: string | undefined): Partial<Record<Name, number>> {
  const out: Partial<Record<Name, number>> = {};
  for (const part of (raw ?? "").split(",").map((s) => s.trim())) {
    if (!part) continue;
    const [name, value] = part.split("=").map((s) => s.trim());
    if (!name || !(name in HANDLERS))
      throw new Error(`HANDLER_SCHEDULES: unknown handler ${name}; use ${Object.keys(HANDLERS).join(", ")}`);
    const seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new Error(`HANDLER_SCHEDULES: ${name}=${value} must be a positive number of seconds`);
    out[name as Name] = seconds;
  }
  return out;
}

try {
  const config = loadConfig();
  const overrides = parseSchedules(process.env.HANDLER_SCHEDULES);
  const schedules: Schedule[] = (Object.keys(HANDLERS) as Name[]).map((name) => ({
    name,
    everyMs: (overrides[name] ?? config.handlers[name].everySeconds) * 1000,
    timeoutMs: config.handlers[name].timeoutSeconds * 1000,
    handler: HANDLERS[name],
  }));
  const harness = createHarness({
    schedules,
    logger: log,
    region: config.region,
    accountId: config.accountId,
  });

  const server = http.createServer((req, res) => {
    if (req.url !== "/healthz") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", schedules: harness.stats() }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(process.env.HANDLERS_PORT || 0), "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  harness.start();
  log.info({ health: `http://127.0.0.1:${port}/healthz` }, "handlers running on their schedules");

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: letting running invocations finish");
    server.close();
    // Running invocations get a moment; a waker waiting out `stopping` is picked up by the next run.
    const grace = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    void Promise.race([harness.stop(), grace]).then(() => process.exit(0));
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  stopWithLauncher(stop);
} catch (err) {
  log.fatal({ err }, `the handlers did not start: ${(err as Error).message}`);
  process.exit(1);
}
