/**
 * Creates the queues and the bucket from config/platform.json wherever AWS_ENDPOINT_URL points
 * (our emulator, LocalStack) and prints what it created, updated or found. Safe to rerun.
 * Without AWS_ENDPOINT_URL it would act on a real AWS account, so it asks for `--aws` first.
 *
 *   AWS_ENDPOINT_URL=http://127.0.0.1:4566 node scripts/provision.ts
 */
import { parseArgs } from "node:util";
import {
  createCloudWatchClient,
  createEc2Client,
  createLogsClient,
  createS3Client,
  createSnsClient,
  createSqsClient,
  endpointFromEnv,
} from "../services/lib/aws-clients.ts";
import { loadConfig } from "../services/lib/config.ts";
import { createLogger } from "../services/lib/logger.ts";
import { provision } from "../services/lib/provision.ts";

const { values } = parseArgs({ options: { aws: { type: "boolean", default: false } } });
const log = createLogger("provision");

const services = ["SQS", "S3", "SNS", "CLOUDWATCH", "CLOUDWATCH_LOGS", "EC2"];
if (!values.aws && !services.every((id) => endpointFromEnv(id))) {
  log.error(
    "no AWS_ENDPOINT_URL set, so this would provision your real AWS account: " +
      "set AWS_ENDPOINT_URL=http://127.0.0.1:4566 for the local emulator, or pass --aws if you mean AWS",
  );
  process.exit(2);
}

try {
  const result = await provision({
    config: loadConfig(),
    sqs: createSqsClient(),
    s3: createS3Client(),
    sns: createSnsClient(),
    logs: createLogsClient(),
    cloudwatch: createCloudWatchClient(),
    ec2: createEc2Client(),
    logger: log,
  });
  log.info(
    {
      created: summary(result, "created"),
      updated: summary(result, "updated"),
      found: summary(result, "found"),
    },
    "provisioned",
  );
} catch (err) {
  log.error({ err }, `provisioning failed: ${(err as Error).message}`);
  process.exit(1);
}

function summary(result: Awaited<ReturnType<typeof provision>>, outcome: string): string[] {
  const all = [
    result.deadLetterQueue,
    result.jobQueue,
    result.bucket,
    result.alertTopic,
    result.accessLogGroup,
    result.jobLogGroup,
    ...(result.alarms ?? []),
    result.gpuInstance,
  ];
  return all.filter((r) => r !== undefined && r.outcome === outcome).map((r) => (r as { name: string }).name);
}
