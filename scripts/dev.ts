/**
 * `make dev`: runs the embedded stack in the foreground. Starts each part as a child process,
 * waits until it answers, provisions the queues and bucket, prints the URLs and one line with
 * the word `ready`. Ctrl-C or SIGTERM stops every child and exits 0; a child that dies on its
 * own stops the rest and exits 1.
 *
 *   node scripts/dev.ts [--fresh]      (make dev FRESH=1)
 *
 * Env: EMULATOR_PORT, COGNITO_PORT, GATEWAY_PORT, GPU_RUNTIME_PORT (defaults from config/platform.json), TINYLLAMA_DATA_DIR (default .data/),
 * FRESH=1 (same as --fresh: start from empty state).
 * The trigger harness (services/handlers): HANDLER_SCHEDULES (default waker=5,watchdog=10,deadLetters=5
 * seconds), IDLE_STOP_SECONDS (the watchdog's idle time, default 60), HANDLERS_PORT (default a free port).
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSnsClient,
  createSqsClient,
  LOCAL_CREDENTIALS,
} from "../services/lib/aws-clients.ts";
import { loadConfig, repoRoot } from "../services/lib/config.ts";
import { createLogger } from "../services/lib/logger.ts";
import { provision } from "../services/lib/provision.ts";
import { type Child, type ChildSpec, startChild, stopChild, waitHealthy } from "./lib/children.ts";
import { freePort } from "./lib/free-port.ts";
import { ensureModel } from "./models/models.ts";

const log = createLogger("dev");

/** Short rates so a demo shows the waker, the watchdog and the DLQ marker at work. */
const handlerSchedules = process.env.HANDLER_SCHEDULES || "waker=5,watchdog=10,deadLetters=5";
const idleStopSeconds = process.env.IDLE_STOP_SECONDS || "60";
const handlersPort = Number(process.env.HANDLERS_PORT) || (await freePort());
const handlersUrl = `http://127.0.0.1:${handlersPort}`;

const { values } = parseArgs({ options: { fresh: { type: "boolean", default: false } } });
const fresh = values.fresh || process.env.FRESH === "1";
const config = loadConfig();
const dataDir = path.resolve(process.env.TINYLLAMA_DATA_DIR || path.join(repoRoot, ".data"));
const emulatorPort = Number(process.env.EMULATOR_PORT || config.ports.emulator);
const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
const cognitoPort = Number(process.env.COGNITO_PORT || config.ports.cognito);
const cognitoUrl = `http://127.0.0.1:${cognitoPort}`;
const cognitoIssuer = `${cognitoUrl}/${config.cognito.userPoolId}`;
const gatewayPort = Number(process.env.GATEWAY_PORT || config.ports.gateway);
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const runtimePort = Number(process.env.GPU_RUNTIME_PORT || config.ports.gpuRuntime);
const runtimeUrl = `http://127.0.0.1:${runtimePort}`;

/** Everything the stack runs, in start order; later parts (Cognito, gateway, GPU runtime) go here. */
function stackParts(): ChildSpec[] {
  return [
    {
      name: "aws-emulator",
      args: [
        "emulators/aws/main.ts",
        "--port",
        String(emulatorPort),
        "--data-dir",
        path.join(dataDir, "aws"),
      ],
      healthUrl: `${emulatorUrl}/_emulator/health`,
    },
    {
      name: "cognito",
      args: [
        "emulators/cognito/main.ts",
        "--port",
        String(cognitoPort),
        "--data-dir",
        path.join(dataDir, "cognito"),
      ],
      healthUrl: `${cognitoIssuer}/.well-known/jwks.json`,
    },
  ];
}

/** Parts that need the provisioned resources (the gateway and the GPU runtime write to their log groups and use the queue). */
function serviceParts(): ChildSpec[] {
  return [
    {
      // The Lambda-shaped handlers on their schedules (services/handlers/harness).
      name: "handlers",
      args: ["services/handlers/harness/main.ts"],
      healthUrl: `${handlersUrl}/healthz`,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: emulatorUrl,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        HANDLERS_PORT: String(handlersPort),
        HANDLER_SCHEDULES: handlerSchedules,
        IDLE_STOP_SECONDS: idleStopSeconds,
      },
    },
    {
      name: "gateway",
      args: ["services/gateway/main.ts"],
      healthUrl: `${gatewayUrl}/healthz`,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: emulatorUrl,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        COGNITO_ISSUER: cognitoIssuer,
        GATEWAY_PORT: String(gatewayPort),
      },
    },
    {
      // The GPU runtime follows the emulated GPU instance (power gate): /health answers 200
      // "waiting" while the instance is stopped, so the part is up before any job.
      name: "gpu-runtime",
      args: ["services/gpu-runtime/main.ts"],
      healthUrl: `${runtimeUrl}/health`,
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: emulatorUrl,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        GPU_RUNTIME_PORT: String(runtimePort),
        GPU_RUNTIME_POWER_GATE: "on",
        MODEL_PATH: process.env.MODEL_PATH || ensureModel("tiny"),
      },
    },
  ];
}

async function startPart(spec: ChildSpec): Promise<void> {
  const child = startChild(spec, repoRoot);
  running.push(child);
  log.info({ child: spec.name, pid: child.process.pid }, `started ${spec.name}`);
  void child.exited.then(({ code, signal }) => {
    if (shuttingDown) return;
    void shutdown(
      1,
      `${spec.name} exited on its own (${signal ?? `code ${code}`}); its log lines above say why. Fix that and run make dev again`,
    );
  });
  await waitHealthy(child);
}

const running: Child[] = [];
let shuttingDown = false;

async function shutdown(code: number, reason: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    log.info({ reason }, "stopping the stack");
    for (const child of [...running].reverse()) await stopChild(child, log);
    log.info("stopped");
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0, "SIGINT"));
process.on("SIGTERM", () => void shutdown(0, "SIGTERM"));
process.on("SIGHUP", () => void shutdown(0, "SIGHUP"));

try {
  if (fresh) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    log.info({ dataDir }, "wiped the data folder (--fresh)");
  }
  fs.mkdirSync(dataDir, { recursive: true });

  for (const spec of stackParts()) await startPart(spec);

  const endpoint = { endpoint: emulatorUrl, region: config.region };
  const result = await provision({
    config,
    sqs: createSqsClient(endpoint),
    s3: createS3Client(endpoint),
    sns: createSnsClient(endpoint),
    logs: createLogsClient(endpoint),
    cloudwatch: createCloudWatchClient(endpoint),
    ec2: createEc2Client(endpoint),
    gpu: { pollMs: 200 },
    logger: log,
  });
  for (const spec of serviceParts()) await startPart(spec);

  const env = `AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} AWS_DEFAULT_REGION=${config.region}`;
  process.stdout.write(
    [
      "",
      "TinyLlama dev stack",
      `  AWS emulator  ${emulatorUrl}   (health: ${emulatorUrl}/_emulator/health)`,
      `  Cognito       ${cognitoUrl}   (issuer: ${cognitoIssuer}; docs/cognito.md)`,
      `  gateway       ${gatewayUrl}   (POST /infer, GET /jobs/{id}, GET /ping, POST /stop; docs/api/jwt_auth.md)`,
      `  GPU runtime   ${runtimeUrl}   (health: ${runtimeUrl}/health; runs jobs while the GPU instance runs; docs/gpu-runtime.md)`,
      `  job queue     ${result.jobQueue.url}`,
      `  dead letters  ${result.deadLetterQueue.url}`,
      `  handlers      ${handlersUrl}/healthz   (rates in seconds: ${handlerSchedules}; the GPU stops after ${idleStopSeconds} s idle)`,
      `  job bucket    s3://${result.bucket.name}`,
      `  alert topic   ${result.alertTopic?.arn}   (emails: ${emulatorUrl}/_emulator/sns/outbox)`,
      `  GPU instance  ${result.gpuInstance?.instanceId} (${result.gpuInstance?.instanceType}, ${result.gpuInstance?.state})`,
      `  state         ${dataDir}${fresh ? " (started empty)" : "   (make dev FRESH=1 starts empty)"}`,
      `  try           ${env} aws --endpoint-url ${emulatorUrl} sqs list-queues`,
      "ready: every part answers. Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
} catch (err) {
  if (!shuttingDown) {
    log.error({ err }, `the stack did not start: ${(err as Error).message}`);
    await shutdown(1, "start-up failed");
  }
}
