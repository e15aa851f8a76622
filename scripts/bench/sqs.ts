/**
 * SQS throughput benchmark: our emulator (in memory and journaled to a data dir) against fauxqs.
 *
 *   node scripts/bench/sqs.ts [--runs 3] [--messages 5000] [--servers ours,ours-persistent,fauxqs]
 *
 * Per run and server: a fresh server in its own child process (`serve.ts`), so startup time
 * (spawn -> first successful ListQueues) and resident memory (VmRSS of that process after the
 * run) are the server's own. One SDK client in this process sends N messages with
 * SendMessageBatch x10, then receives (ReceiveMessage Max=10) and deletes (DeleteMessageBatch)
 * until drained, first on a standard queue, then on a FIFO queue with 10 message groups.
 * Every run is verified: each message received exactly once, per-group FIFO order kept, nothing
 * left afterwards. A correctness failure exits 1; a missed speed target only prints MISSED.
 * Runs interleave the servers in rotating order (run 1: A, B, C; run 2: B, C, A; ...) after one
 * untimed warm-up of the client, so load on this shared machine hits them alike; ratios are
 * taken per run, then the median.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { freePort } from "../lib/free-port.ts";
import { BenchFailure, cpuMs, int, median, rssMiB, spread, startChildServer, stopChild } from "./common.ts";

type ServerName = "ours" | "ours-persistent" | "fauxqs";
type QueueKind = "standard" | "fifo";
const ALL_SERVERS: ServerName[] = ["ours", "ours-persistent", "fauxqs"];
const QUEUE_KINDS: QueueKind[] = ["standard", "fifo"];
const FIFO_GROUPS = 10;
const BATCH = 10;
const STALL_MS = 10_000;
const SERVE = path.join(import.meta.dirname, "serve.ts");

interface QueueResult {
  sendPerSec: number;
  recvDelPerSec: number;
  /** Server CPU (user + system) per 1,000 messages, sent and received+deleted. */
  cpuMsPer1k: number;
}
interface RunResult {
  startupMs: number;
  rssMiB: number;
  queues: Record<QueueKind, QueueResult>;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      messages: { type: "string", default: "5000" },
      servers: { type: "string", default: ALL_SERVERS.join(",") },
    },
  });
  const runs = Number(values.runs);
  const messages = Number(values.messages);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);
  if (!Number.isInteger(messages) || messages < BATCH || messages % BATCH !== 0)
    throw new Error(`--messages must be a positive multiple of ${BATCH}`);
  const servers = values.servers.split(",").map((s) => s.trim()) as ServerName[];
  for (const s of servers) if (!ALL_SERVERS.includes(s)) throw new Error(`unknown server ${s}`);
  return { runs, messages, servers };
}

function makeClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

interface RunningServer {
  child: ChildProcess;
  client: SQSClient;
  startupMs: number;
  dataDir: string | undefined;
}

async function startServer(name: ServerName): Promise<RunningServer> {
  const port = await freePort();
  const dataDir =
    name === "ours-persistent" ? fs.mkdtempSync(path.join(os.tmpdir(), "bench-sqs-data-")) : undefined;
  const args = [SERVE, "--server", name === "fauxqs" ? "fauxqs" : "ours", "--port", String(port)];
  if (dataDir) args.push("--data-dir", dataDir);

  const client = makeClient(`http://127.0.0.1:${port}`);
  const { child, startupMs } = await startChildServer(name, process.execPath, args, () =>
    client.send(new ListQueuesCommand({})),
  );
  return { child, client, startupMs, dataDir };
}

async function stopServer(server: RunningServer): Promise<void> {
  server.client.destroy();
  await stopChild(server.child);
  if (server.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
}

/** Body carries the sequence number; padded to ~100 bytes like a small job message. */
function body(seq: number, group: number): string {
  return JSON.stringify({ seq, group, pad: "x".repeat(64) });
}

async function runQueue(
  label: string,
  client: SQSClient,
  pid: number,
  kind: QueueKind,
  messages: number,
  run: number,
): Promise<QueueResult> {
  const fifo = kind === "fifo";
  const name = `bench-${kind}-${run}-${Date.now()}${fifo ? ".fifo" : ""}`;
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      // Long enough that nothing becomes visible again during a slow drain.
      Attributes: fifo ? { FifoQueue: "true", VisibilityTimeout: "300" } : { VisibilityTimeout: "300" },
    }),
  );
  if (!QueueUrl) throw new BenchFailure(`${label}: CreateQueue returned no QueueUrl`);
  const fail = (msg: string) => new BenchFailure(`${label} ${kind} run ${run}: ${msg}`);

  // Send: message i goes to group i % 10, so each group's sequence is i, i+10, i+20, ...
  const cpuStart = cpuMs(pid);
  const sendStart = performance.now();
  for (let i = 0; i < messages; i += BATCH) {
    const entries = [];
    for (let j = i; j < i + BATCH; j++) {
      const group = j % FIFO_GROUPS;
      entries.push({
        Id: `m${j}`,
        MessageBody: body(j, group),
        ...(fifo ? { MessageGroupId: `g${group}`, MessageDeduplicationId: `${run}-${j}` } : {}),
      });
    }
    const out = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
    if ((out.Failed?.length ?? 0) > 0 || out.Successful?.length !== BATCH)
      throw fail(`SendMessageBatch at ${i}: ${JSON.stringify(out.Failed)}`);
  }
  const sendSeconds = (performance.now() - sendStart) / 1000;

  // Receive + delete until every message was seen exactly once.
  const seen = new Uint8Array(messages);
  const nextInGroup = Array.from({ length: FIFO_GROUPS }, (_, g) => g);
  let received = 0;
  const recvStart = performance.now();
  let lastProgress = recvStart;
  while (received < messages) {
    const out = await client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const batch = out.Messages ?? [];
    if (batch.length === 0) {
      if (performance.now() - lastProgress > STALL_MS)
        throw fail(`stalled: received ${received} of ${messages}, queue returns nothing`);
      continue;
    }
    lastProgress = performance.now();
    const toDelete = [];
    for (const [k, m] of batch.entries()) {
      const parsed = JSON.parse(m.Body ?? "null") as { seq?: number; group?: number } | null;
      const seq = parsed?.seq;
      if (typeof seq !== "number" || seq < 0 || seq >= messages) throw fail(`unexpected body ${m.Body}`);
      if (seen[seq]) throw fail(`message ${seq} received twice`);
      seen[seq] = 1;
      received++;
      if (fifo) {
        const group = seq % FIFO_GROUPS;
        if (seq !== nextInGroup[group])
          throw fail(`FIFO order broken in group g${group}: got ${seq}, expected ${nextInGroup[group]}`);
        nextInGroup[group] = seq + FIFO_GROUPS;
      }
      if (!m.ReceiptHandle) throw fail(`message ${seq} has no ReceiptHandle`);
      toDelete.push({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle });
    }
    const del = await client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: toDelete }));
    if ((del.Failed?.length ?? 0) > 0 || del.Successful?.length !== toDelete.length)
      throw fail(`DeleteMessageBatch: ${JSON.stringify(del.Failed)}`);
  }
  const recvSeconds = (performance.now() - recvStart) / 1000;
  const cpuMsPer1k = ((cpuMs(pid) - cpuStart) * 1000) / messages;

  // Nothing may be left, visible or in flight.
  const extra = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  if ((extra.Messages?.length ?? 0) > 0) throw fail(`${extra.Messages?.length} extra message(s) after drain`);
  const attrs = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  const visible = attrs.Attributes?.ApproximateNumberOfMessages;
  const notVisible = attrs.Attributes?.ApproximateNumberOfMessagesNotVisible;
  if (visible !== "0" || notVisible !== "0")
    throw fail(`after drain: ${visible} visible, ${notVisible} not visible (expected 0 and 0)`);
  await client.send(new DeleteQueueCommand({ QueueUrl }));

  return { sendPerSec: messages / sendSeconds, recvDelPerSec: messages / recvSeconds, cpuMsPer1k };
}

async function runServer(name: ServerName, messages: number, run: number): Promise<RunResult> {
  const server = await startServer(name);
  try {
    const pid = server.child.pid;
    if (pid === undefined) throw new Error("child has no pid");
    const queues = {} as Record<QueueKind, QueueResult>;
    for (const kind of QUEUE_KINDS)
      queues[kind] = await runQueue(name, server.client, pid, kind, messages, run);
    return { startupMs: server.startupMs, rssMiB: rssMiB(pid), queues };
  } finally {
    await stopServer(server);
  }
}

function report(results: Map<ServerName, RunResult[]>, runs: number, messages: number): string[] {
  const lines: string[] = [];
  lines.push(
    `${messages} messages per queue, median of ${runs} run(s) (min–max); standard queue, FIFO queue with ${FIFO_GROUPS} groups.`,
    "",
    "| server | queue | send msg/s | recv+del msg/s | startup ms | RSS MiB | server CPU ms per 1k msgs |",
    "|---|---|---|---|---|---|---|",
  );
  for (const [name, rs] of results) {
    for (const kind of QUEUE_KINDS) {
      lines.push(
        `| ${name} | ${kind} | ${spread(
          rs.map((r) => r.queues[kind].sendPerSec),
          int,
        )} | ${spread(
          rs.map((r) => r.queues[kind].recvDelPerSec),
          int,
        )} | ${spread(
          rs.map((r) => r.startupMs),
          int,
        )} | ${spread(
          rs.map((r) => r.rssMiB),
          (x) => x.toFixed(1),
        )} | ${spread(
          rs.map((r) => r.queues[kind].cpuMsPer1k),
          int,
        )} |`,
      );
    }
  }

  const fauxqs = results.get("fauxqs");
  const comparisons = (
    [
      ["ours", 1.0],
      ["ours-persistent", 0.5],
    ] as Array<[ServerName, number]>
  ).filter(([name]) => results.has(name));
  if (!fauxqs || comparisons.length === 0) return lines;

  /** Median over runs of ours/fauxqs; runs are paired by index (same rotation, close in time). */
  const ratio = (ours: RunResult[], pick: (r: RunResult) => number) =>
    median(ours.map((r, i) => pick(r) / pick(fauxqs[i] as RunResult)));
  lines.push(
    "",
    "Ratios ours/fauxqs, the median of per-run ratios. Throughput: higher is better; server CPU: lower is better.",
    "",
    "| comparison | queue | send | recv+del | target (send and recv+del) | verdict | server CPU per msg |",
    "|---|---|---|---|---|---|---|",
  );
  for (const [name, target] of comparisons) {
    const ours = results.get(name) as RunResult[];
    for (const kind of QUEUE_KINDS) {
      const send = ratio(ours, (r) => r.queues[kind].sendPerSec);
      const recv = ratio(ours, (r) => r.queues[kind].recvDelPerSec);
      const cpu = ratio(ours, (r) => r.queues[kind].cpuMsPer1k);
      const missed = [send < target ? "send" : "", recv < target ? "recv+del" : ""].filter(Boolean);
      const verdict = missed.length ? `MISSED (${missed.join(", ")})` : "met";
      lines.push(
        `| ${name}/fauxqs | ${kind} | ${send.toFixed(2)}x | ${recv.toFixed(2)}x | >= ${target.toFixed(1)}x | ${verdict} | ${cpu.toFixed(2)}x |`,
      );
    }
  }
  lines.push(
    "",
    `${comparisons
      .map(([name]) => {
        const ours = results.get(name) as RunResult[];
        const rss = ratio(ours, (r) => r.rssMiB).toFixed(2);
        const startup = ratio(ours, (r) => r.startupMs).toFixed(2);
        return `${name}/fauxqs: RSS ${rss}x, startup ${startup}x`;
      })
      .join("; ")} (lower is better).`,
  );
  return lines;
}

async function main(): Promise<number> {
  const { runs, messages, servers } = parseOptions();
  const results = new Map<ServerName, RunResult[]>(servers.map((s) => [s, []]));
  console.error(
    `bench:sqs: ${servers.join(", ")}; ${runs} run(s) x ${messages} messages; node ${process.version}, ` +
      `${os.cpus().length} cpus, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
  );
  try {
    // Warm up this process's client code (the SDK's first requests are slow) on a throwaway server.
    await runServer(servers[0] as ServerName, Math.min(messages, 500), 0);
    for (let run = 1; run <= runs; run++) {
      // Rotate the order each run so no server is always first or last.
      const order = servers.map((_, i) => servers[(i + run - 1) % servers.length] as ServerName);
      for (const name of order) {
        const r = await runServer(name, messages, run);
        results.get(name)?.push(r);
        console.error(
          `  run ${run} ${name}: startup ${int(r.startupMs)} ms, RSS ${r.rssMiB.toFixed(1)} MiB, ` +
            QUEUE_KINDS.map(
              (k) =>
                `${k} send ${int(r.queues[k].sendPerSec)}/s recv+del ${int(r.queues[k].recvDelPerSec)}/s`,
            ).join(", "),
        );
      }
    }
  } catch (err) {
    if (err instanceof BenchFailure) {
      console.error(`\nCORRECTNESS FAILURE: ${err.message}`);
      return 1;
    }
    throw err;
  }
  console.log(report(results, runs, messages).join("\n"));
  return 0;
}

process.exitCode = await main();
