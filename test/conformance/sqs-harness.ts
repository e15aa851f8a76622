/**
 * Harness for the SQS conformance checks (`sqs-checks.ts`): builds the check context `t` (a real
 * `@aws-sdk/client-sqs` client for one endpoint and one wire protocol, a unique queue-name
 * generator, cleanup) and runs checks concurrently, each on its own queues.
 *
 * Protocols: the SQS client speaks AWS JSON 1.0 by default (query-compatible errors). The legacy
 * AWS query protocol (form-encoded request, XML answer) is what older clients send (Debian's
 * awscli 2.9, aws-sdk v2). The client README ("Supported Message Protocols") selects it with
 * `protocol: AwsQueryProtocol`; the class lives in `@aws-sdk/core/protocols` (the README's
 * `@aws-sdk/config/protocol` re-exports it but is not installed). Passing the class (not an
 * instance) lets the client build it with its own `protocolSettings`, error registry included.
 * A middleware asserts the Content-Type of every request, so a run labelled "query" really
 * spoke query.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type MessageAttributeValue,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { AwsQueryProtocol } from "@aws-sdk/core/protocols";

export type Protocol = "json" | "query";
export const protocols: readonly Protocol[] = ["json", "query"];

export interface CheckContext {
  sqs: SQSClient;
  protocol: Protocol;
  endpoint: string;
  /** A fresh queue name, unique across runs and checks; `.fifo` appended when asked. */
  queueName(opts?: { fifo?: boolean }): string;
  /** Creates a queue (fresh name unless given) and deletes it after the check. Returns its URL. */
  createQueue(opts?: { name?: string; fifo?: boolean; attributes?: Record<string, string> }): Promise<string>;
  /** Registers a queue URL for deletion after the check (for queues created by hand). */
  track(url: string): void;
}

export type Check = (t: CheckContext) => Promise<void>;
export interface NamedCheck {
  name: string;
  run: Check;
}

export function makeSqsClient(endpoint: string, protocol: Protocol): SQSClient {
  const client = new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    ...(protocol === "query" ? { protocol: AwsQueryProtocol } : {}),
  });
  const expected = protocol === "query" ? "application/x-www-form-urlencoded" : "application/x-amz-json-1.0";
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      const ct = req.headers?.["content-type"] ?? req.headers?.["Content-Type"] ?? "";
      if (!ct.startsWith(expected)) {
        throw new Error(`harness: expected a ${protocol} request (${expected}), the SDK sent ${ct}`);
      }
      return next(args);
    },
    { step: "finalizeRequest", name: "conformanceProtocolGuard" },
  );
  return client;
}

let counter = 0;
const runId = randomBytes(3).toString("hex");

export interface CheckResult {
  name: string;
  protocol: Protocol;
  ok: boolean;
  ms: number;
  error?: string;
}

/** Runs one check with its own context and cleans its queues up afterwards. */
export async function runCheck(
  endpoint: string,
  protocol: Protocol,
  check: NamedCheck,
): Promise<CheckResult> {
  const sqs = makeSqsClient(endpoint, protocol);
  const created: string[] = [];
  const t: CheckContext = {
    sqs,
    protocol,
    endpoint,
    queueName(opts) {
      counter += 1;
      const base = `cf-${runId}-${protocol[0]}${counter}-${check.name.replace(/[^A-Za-z0-9]+/g, "-")}`.slice(
        0,
        70,
      );
      return opts?.fifo ? `${base}.fifo` : base;
    },
    async createQueue(opts) {
      const fifo = opts?.fifo ?? opts?.name?.endsWith(".fifo") ?? false;
      const name = opts?.name ?? t.queueName({ fifo });
      const attributes = { ...(fifo ? { FifoQueue: "true" } : {}), ...opts?.attributes };
      const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
      if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
      created.push(out.QueueUrl);
      return out.QueueUrl;
    },
    track(url) {
      created.push(url);
    },
  };
  const started = performance.now();
  let result: CheckResult;
  try {
    await check.run(t);
    result = { name: check.name, protocol, ok: true, ms: performance.now() - started };
  } catch (err) {
    result = { name: check.name, protocol, ok: false, ms: performance.now() - started, error: describe(err) };
  }
  await Promise.allSettled(created.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
  sqs.destroy();
  return result;
}

/** Runs every check concurrently (each on its own queues). */
export function runChecks(endpoint: string, protocol: Protocol, checks: readonly NamedCheck[]) {
  return Promise.all(checks.map((c) => runCheck(endpoint, protocol, c)));
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    const status = meta?.httpStatusCode ? ` (HTTP ${meta.httpStatusCode})` : "";
    return `${err.name}${status}: ${err.message}`.replace(/\s+/g, " ").slice(0, 400);
  }
  return String(err);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function md5(data: string | Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

/**
 * MD5 of message attributes as SQS computes it (SQS Developer Guide, "Calculating the MD5 message
 * digest for message attributes"): attributes sorted by name; for each, the 4-byte big-endian
 * length + UTF-8 bytes of the name, of the data type, one transport byte (1 = String/Number,
 * 2 = Binary), then the length-prefixed value.
 */
export function md5OfAttributes(attrs: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lp = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    if (!a?.DataType) continue;
    lp(Buffer.from(name, "utf8"));
    lp(Buffer.from(a.DataType, "utf8"));
    if (a.DataType.startsWith("Binary")) {
      parts.push(Buffer.from([2]));
      lp(Buffer.from(a.BinaryValue ?? new Uint8Array()));
    } else {
      parts.push(Buffer.from([1]));
      lp(Buffer.from(a.StringValue ?? "", "utf8"));
    }
  }
  return md5(Buffer.concat(parts));
}
