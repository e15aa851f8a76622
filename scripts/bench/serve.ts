/**
 * One SQS server in its own process, for the benchmark (`scripts/bench/sqs.ts`) and the
 * emulator tests: `node scripts/bench/serve.ts --server ours|fauxqs --port N [--data-dir DIR] [--log]`.
 *
 * Listens on 127.0.0.1 (fauxqs with --data-dir: its SQLite persistence, which binds 0.0.0.0),
 * prints `listening <port>` on stdout once bound, and exits on SIGTERM/SIGINT. Runs the server
 * in this process (no further child), so this process's RSS is the server's. Imports are
 * dynamic so a missing or broken server only fails when it is chosen.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "ours" },
    port: { type: "string", default: "0" },
    "data-dir": { type: "string" },
    /** Log the emulator's unexpected errors to stderr (off in the benchmark: pino costs memory). */
    log: { type: "boolean", default: false },
  },
});
const port = Number(values.port);
const dataDir = values["data-dir"];

let close: () => Promise<void>;
let boundPort: number;

if (values.server === "ours") {
  const { startEmulator } = await import("../../emulators/aws/server.ts");
  // With --log, unexpected errors (InternalFailure) go to stderr, which the parent collects.
  let logger: import("pino").Logger | undefined;
  if (values.log) {
    const { pino } = await import("pino");
    logger = pino({ level: process.env.LOG_LEVEL ?? "warn" }, pino.destination(2));
  }
  const emulator = await startEmulator({
    host: "127.0.0.1",
    port,
    ...(logger ? { logger } : {}),
    ...(dataDir ? { dataDir } : {}),
  });
  boundPort = emulator.port;
  close = () => emulator.close();
} else if (values.server === "fauxqs") {
  const { buildApp, startFauxqs } = await import("fauxqs");
  if (dataDir) {
    // Its SQLite persistence is only wired up by startFauxqs, which always binds 0.0.0.0.
    const server = await startFauxqs({ port, dataDir, logger: false });
    boundPort = server.port;
    close = () => server.stop();
  } else {
    // buildApp + our own listen keeps it on loopback.
    const app = buildApp({ logger: false });
    await app.listen({ host: "127.0.0.1", port });
    const address = app.server.address();
    boundPort = typeof address === "object" && address ? address.port : port;
    close = () => app.close();
  }
} else {
  throw new Error(`serve.ts: unknown --server ${values.server} (ours | fauxqs)`);
}

process.stdout.write(`listening ${boundPort}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
