/**
 * The AWS CLI, an independent client, against the emulator's SQS in both wire protocols:
 * - JSON 1.0: aws-cli v1 with a current botocore (here the pyenv `aws` on PATH);
 * - query: Debian 12's packaged aws-cli 2.9.19 (`apt-get install awscli` -> /usr/bin/aws), whose
 *   botocore model still says `protocol: query`.
 * Which protocol a CLI speaks is not guessed from its version: each candidate is run once
 * against a probe server that records its request. A protocol with no CLI is skipped, with the
 * reason in the suite name. Credentials are dummies from the environment; HOME and the config
 * files point into a temp dir so no user configuration leaks in.
 *
 * SQS_CLI_SERVER=fauxqs runs the same commands against fauxqs, for comparison.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChildServer, spawnServer } from "../../scripts/bench/child-server.ts";
import {
  awsInPathDirs,
  type CliResult,
  isExecutable,
  isolatedAwsEnv,
  runAwsCli,
} from "../helpers/aws-cli.ts";

const SERVER = process.env.SQS_CLI_SERVER === "fauxqs" ? "fauxqs" : "ours";
type Protocol = "json" | "query";

const { env: cliEnv, remove: removeHome } = isolatedAwsEnv("sqs-cli-home-");

function runCli(bin: string, args: string[], timeout = 20_000): Promise<CliResult> {
  return runAwsCli(bin, args, cliEnv, timeout);
}

/** `aws` on PATH plus the usual system locations, deduplicated by real path. */
function candidateClis(): string[] {
  const found = new Map<string, string>();
  for (const file of [...awsInPathDirs(), "/usr/bin/aws", "/usr/local/bin/aws"]) {
    if (!isExecutable(file)) continue;
    // A pyenv shim's real path is the shim script itself, shared by every pyenv command: key
    // shims by their own path, everything else by the resolved one.
    const real = fs.realpathSync(file);
    if (![...found.values()].includes(real)) found.set(file, real);
  }
  return [...found.keys()];
}

/** Runs `aws sqs list-queues` against a local probe and reports which protocol arrived. */
async function probeProtocol(bin: string): Promise<Protocol | undefined> {
  let seen: Protocol | undefined;
  const probe = http.createServer((req, res) => {
    const type = String(req.headers["content-type"] ?? "");
    if (req.headers["x-amz-target"]) seen = "json";
    else if (type.includes("x-www-form-urlencoded")) seen = "query";
    req.resume();
    res.writeHead(400, { "content-type": "text/plain" }).end("probe");
  });
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
  const { port } = probe.address() as AddressInfo;
  await runCli(bin, ["sqs", "list-queues", "--endpoint-url", `http://127.0.0.1:${port}`]);
  await new Promise<void>((r) => probe.close(() => r()));
  return seen;
}

interface Cli {
  bin: string;
  version: string;
}
const clis = new Map<Protocol, Cli>();
for (const bin of candidateClis()) {
  const version = (await runCli(bin, ["--version"])).stdout.trim().split(" ")[0] ?? "?";
  const protocol = await probeProtocol(bin);
  if (protocol && !clis.has(protocol)) clis.set(protocol, { bin, version });
}

const missingHint: Record<Protocol, string> = {
  json: "install a recent aws-cli v1 (pip install awscli) or a current aws-cli v2",
  query: "install Debian's aws-cli 2.9.19 with `apt-get install awscli` (about 10 s here)",
};

/** MD5 of message attributes as SQS computes it (string and number values only). */
function md5OfAttributes(attrs: Record<string, { DataType: string; StringValue: string }>): string {
  const hash = createHash("md5");
  const field = (s: string) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    hash.update(len).update(b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name] as { DataType: string; StringValue: string };
    field(name);
    field(a.DataType);
    hash.update(Buffer.from([1]));
    field(a.StringValue);
  }
  return hash.digest("hex");
}

for (const protocol of ["json", "query"] as const) {
  const cli = clis.get(protocol);
  const title = cli
    ? `aws CLI over the ${protocol} protocol (${cli.version}, ${cli.bin}) against ${SERVER}`
    : `aws CLI over the ${protocol} protocol: SKIPPED, no aws CLI speaking ${protocol} found (${missingHint[protocol]})`;
  if (!cli) console.warn(title);

  describe.skipIf(!cli)(title, () => {
    let server: ChildServer;
    const bin = cli?.bin ?? "aws";
    const queueName = `cli-${protocol}-${randomUUID().slice(0, 8)}.fifo`;
    let queueUrl = "";
    let receiptHandle = "";
    const attributes = { Kind: { DataType: "String", StringValue: "inference-job" } };

    const aws = async (...args: string[]) => {
      const r = await runCli(bin, ["sqs", ...args, "--endpoint-url", server.url, "--output", "json"]);
      return r;
    };
    const ok = async (...args: string[]) => {
      const r = await aws(...args);
      expect(r.code, `aws sqs ${args.join(" ")}\n${r.stderr}`).toBe(0);
      return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as Record<string, unknown>;
    };

    beforeAll(async () => {
      server = await spawnServer({ server: SERVER });
    });
    afterAll(async () => {
      await server?.kill("SIGTERM");
    });

    it("create-queue (FIFO, content-based dedup) and list-queues", async () => {
      const out = await ok(
        "create-queue",
        "--queue-name",
        queueName,
        "--attributes",
        "FifoQueue=true,ContentBasedDeduplication=true,VisibilityTimeout=7",
      );
      queueUrl = String(out.QueueUrl);
      expect(queueUrl).toMatch(new RegExp(`/${queueName.replace(".", "\\.")}$`));
      const list = await ok("list-queues", "--queue-name-prefix", queueName.slice(0, 12));
      expect(list.QueueUrls).toEqual([queueUrl]);
    });

    it("send-message with a message attribute", async () => {
      const out = await ok(
        "send-message",
        "--queue-url",
        queueUrl,
        "--message-body",
        "hello from the cli",
        "--message-group-id",
        "user-1",
        "--message-attributes",
        JSON.stringify(attributes),
      );
      expect(out.MessageId).toEqual(expect.any(String));
      expect(out.MD5OfMessageBody).toBe(createHash("md5").update("hello from the cli").digest("hex"));
      expect(out.MD5OfMessageAttributes).toBe(md5OfAttributes(attributes));
      expect(out.SequenceNumber).toEqual(expect.any(String));
    });

    it("receive-message returns body, attribute and system attributes", async () => {
      const out = await ok(
        "receive-message",
        "--queue-url",
        queueUrl,
        "--attribute-names",
        "All",
        "--message-attribute-names",
        "All",
        "--max-number-of-messages",
        "10",
        "--wait-time-seconds",
        "1",
      );
      const messages = out.Messages as Array<Record<string, unknown>>;
      expect(messages).toHaveLength(1);
      const m = messages[0] as Record<string, unknown>;
      expect(m.Body).toBe("hello from the cli");
      expect(m.MessageAttributes).toEqual(attributes);
      expect(m.MD5OfMessageAttributes).toBe(md5OfAttributes(attributes));
      expect(m.Attributes).toMatchObject({ MessageGroupId: "user-1", ApproximateReceiveCount: "1" });
      receiptHandle = String(m.ReceiptHandle);
    });

    it("get-queue-attributes while in flight, delete-message, then empty", async () => {
      const before = await ok("get-queue-attributes", "--queue-url", queueUrl, "--attribute-names", "All");
      expect(before.Attributes).toMatchObject({
        FifoQueue: "true",
        ContentBasedDeduplication: "true",
        VisibilityTimeout: "7",
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "1",
        QueueArn: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
      });
      const del = await aws("delete-message", "--queue-url", queueUrl, "--receipt-handle", receiptHandle);
      expect(del.code, del.stderr).toBe(0);
      const after = await ok(
        "get-queue-attributes",
        "--queue-url",
        queueUrl,
        "--attribute-names",
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
      );
      expect(after.Attributes).toEqual({
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
      });
    });

    it("empty results: receive-message on an empty queue, list-queues and list-queue-tags with nothing to list", async () => {
      // Query clients need <ReceiveMessageResult/> etc. even when there is nothing in it.
      const receive = await ok("receive-message", "--queue-url", queueUrl, "--wait-time-seconds", "0");
      expect(receive.Messages ?? []).toEqual([]);
      const list = await ok("list-queues", "--queue-name-prefix", `none-${randomUUID().slice(0, 8)}`);
      expect(list.QueueUrls ?? []).toEqual([]);
      const tags = await ok("list-queue-tags", "--queue-url", queueUrl);
      expect(tags.Tags ?? {}).toEqual({});
    });

    it("a FIFO send without a group id is MissingParameter (no AWS.SimpleQueueService. prefix)", async () => {
      const r = await aws("send-message", "--queue-url", queueUrl, "--message-body", "no group");
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /An error occurred \(MissingParameter\) when calling the SendMessage operation/,
      );
    });

    it("a missing queue is AWS.SimpleQueueService.NonExistentQueue", async () => {
      const r = await aws("get-queue-url", "--queue-name", `missing-${randomUUID().slice(0, 8)}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/\(AWS\.SimpleQueueService\.NonExistentQueue\).*GetQueueUrl operation/);
    });
  });
}

afterAll(removeHome);
