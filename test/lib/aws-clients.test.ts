import http from "node:http";
import type { AddressInfo } from "node:net";
import { ListBucketsCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import {
  clientConfig,
  createS3Client,
  createSqsClient,
  endpointFromEnv,
  LOCAL_CREDENTIALS,
} from "../../services/lib/aws-clients.ts";

describe("clientConfig", () => {
  it("uses the SDK defaults on AWS: no endpoint, no credentials", () => {
    expect(clientConfig("SQS", { env: { AWS_REGION: "eu-west-1" } })).toEqual({ region: "eu-west-1" });
  });

  it("takes the region from config/platform.json when the environment has none", () => {
    expect(clientConfig("SQS", { env: {} }).region).toBe("us-east-1");
  });

  it("switches to local mode with dummy credentials when AWS_ENDPOINT_URL is set", () => {
    const config = clientConfig("SQS", { env: { AWS_ENDPOINT_URL: "http://127.0.0.1:4566" } });
    expect(config).toEqual({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      credentials: LOCAL_CREDENTIALS,
    });
  });

  it("prefers AWS_ENDPOINT_URL_<SERVICE>, and an explicit endpoint over both", () => {
    const env = { AWS_ENDPOINT_URL: "http://a:1", AWS_ENDPOINT_URL_SQS: "http://b:2" };
    expect(endpointFromEnv("SQS", env)).toBe("http://b:2");
    expect(endpointFromEnv("S3", env)).toBe("http://a:1");
    expect(clientConfig("SQS", { env, endpoint: "http://c:3" }).endpoint).toBe("http://c:3");
  });

  it("honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS like the SDK", () => {
    expect(
      endpointFromEnv("SQS", { AWS_ENDPOINT_URL: "http://a:1", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" }),
    ).toBe(undefined);
  });
});

describe("SQS client and queue URLs on another host", () => {
  // The SDK's default would send the call to the QueueUrl's host; ours must use the endpoint.
  let server: http.Server;
  let endpoint: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.headers.host} ${req.headers["x-amz-target"]}`);
      res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "nope" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends to the configured endpoint", async () => {
    const sqs = createSqsClient({ env: { AWS_ENDPOINT_URL: endpoint } });
    const QueueUrl = "http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/q.fifo";
    await expect(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x" }))).rejects.toMatchObject({
      name: "QueueDoesNotExist",
    });
    expect(seen).toEqual([`${new URL(endpoint).host} AmazonSQS.SendMessage`]);
  });
});

describe("clients reach the local emulator", () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    env = { AWS_ENDPOINT_URL: emulator.url };
  });
  afterAll(() => emulator.close());

  it("SQS", async () => {
    const sqs = createSqsClient({ env });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "clients-test" }));
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: "clients-test" }));
    expect(found.QueueUrl).toBe(QueueUrl);
  });

  it("S3", async () => {
    const s3 = createS3Client({ env });
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Array.isArray(Buckets ?? [])).toBe(true);
  });
});
