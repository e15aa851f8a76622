/**
 * CloudWatch and EC2 benchmark (`npm run bench:emulator`): our AWS emulator, in memory and
 * journaled to a data dir, against moto_server (when installed).
 *
 *   node scripts/bench/emulator.ts [--runs 3] [--requests 400] [--concurrency 1,8]
 *                                  [--servers ours,ours-persistent,moto]
 *
 * Per run and server: a fresh server in its own child process (ours: `serve.ts`; moto:
 * `moto_server -H 127.0.0.1 -p N`), so startup (spawn -> first successful ListMetrics) and
 * resident memory (VmRSS of that process after the run) are the server's own. Then, with one
 * CloudWatch and one EC2 client of the AWS SDK in this process (CloudWatch over its default
 * JSON 1.0 protocol, EC2 over its query protocol):
 *
 *   - RunInstances of 20 instances (two calls of 10, tagged Role=worker / Role=api), untimed;
 *   - an untimed warm-up of each operation;
 *   - for each operation and each concurrency, a fixed number of requests with that many in
 *     flight: PutMetricData (20 datums per request over 4 dimension sets), DescribeInstances
 *     (all 20 instances) and DescribeInstances with a `tag:Role` filter (the 10 workers).
 *
 * Every request is checked: each DescribeInstances must return exactly the expected instance
 * ids, and after each PutMetricData case GetMetricStatistics must give, per dimension set, the
 * Sum and SampleCount that were sent. A failure prints CORRECTNESS FAILURE and exits 1.
 * Runs interleave the servers in rotating order after one untimed warm-up run of the client;
 * ratios ours/moto are taken per run, then the median.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { freePort } from "../lib/free-port.ts";
import {
  BenchFailure,
  type ChildServerProcess,
  cpuMs,
  findOnPath,
  int,
  median,
  quantile,
  rssMiB,
  spread,
  startChildServer,
  stopChild,
} from "./common.ts";

type ServerName = "ours" | "ours-persistent" | "moto";
type Operation = "PutMetricData" | "DescribeInstances" | "DescribeInstances tag:Role";
const ALL_SERVERS: ServerName[] = ["ours", "ours-persistent", "moto"];
const OPERATIONS: Operation[] = ["PutMetricData", "DescribeInstances", "DescribeInstances tag:Role"];
const SERVE = path.join(import.meta.dirname, "serve.ts");
const REGION = "us-east-1";
const DATUMS_PER_REQUEST = 20;
const HOSTS = 4;
const INSTANCES_PER_ROLE = 10;
const WARMUP_REQUESTS = 40;
const NAMESPACE = "Bench/Emulator";

interface CaseResult {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system) per 1,000 requests. */
  cpuMsPer1k: number;
}
interface RunResult {
  startupMs: number;
  rssMiB: number;
  /** Keyed by caseKey(operation, concurrency). */
  cases: Map<string, CaseResult>;
}
const caseKey = (op: Operation, concurrency: number) => `${op}@${concurrency}`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      requests: { type: "string", default: "400" },
      concurrency: { type: "string", default: "1,8" },
      servers: { type: "string", default: ALL_SERVERS.join(",") },
    },
  });
  const runs = Number(values.runs);
  const requests = Number(values.requests);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
  if (!Number.isInteger(requests) || requests < 1) throw new Error("--requests must be a positive integer");
  const concurrencies = values.concurrency.split(",").map(Number);
  for (const c of concurrencies)
    if (!Number.isInteger(c) || c < 1) throw new Error("--concurrency takes positive integers, e.g. 1,8");
  const servers = values.servers.split(",").map((s) => s.trim()) as ServerName[];
  for (const s of servers) if (!ALL_SERVERS.includes(s)) throw new Error(`unknown server ${s}`);
  return { runs, requests, concurrencies, servers };
}

interface Clients {
  cw: CloudWatchClient;
  ec2: EC2Client;
}

function makeClients(endpoint: string): Clients {
  const common = {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 30_000 },
  };
  return { cw: new CloudWatchClient(common), ec2: new EC2Client(common) };
}

interface RunningServer {
  proc: ChildServerProcess;
  clients: Clients;
  dataDir: string | undefined;
}

async function startServer(name: ServerName, moto: string | undefined): Promise<RunningServer> {
  const port = await freePort();
  const clients = makeClients(`http://127.0.0.1:${port}`);
  let command: string;
  let args: string[];
  let dataDir: string | undefined;
  if (name === "moto") {
    if (!moto) throw new Error("moto_server is not installed");
    command = moto;
    args = ["-H", "127.0.0.1", "-p", String(port)];
  } else {
    command = process.execPath;
    args = [SERVE, "--server", "ours", "--port", String(port)];
    if (name === "ours-persistent") {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-emulator-data-"));
      args.push("--data-dir", dataDir);
    }
  }
  const proc = await startChildServer(name, command, args, () =>
    clients.cw.send(new ListMetricsCommand({ Namespace: NAMESPACE })),
  );
  return { proc, clients, dataDir };
}

async function stopServer(server: RunningServer): Promise<void> {
  server.clients.cw.destroy();
  server.clients.ec2.destroy();
  await stopChild(server.proc.child);
  if (server.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
}

/**
 * `count` calls of `fn(i)` with `concurrency` in flight; the latency of each call in ms.
 */
async function drive(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<{ seconds: number; latencies: Float64Array }> {
  const latencies = new Float64Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      await fn(i);
      latencies[i] = performance.now() - t0;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort();
  return { seconds, latencies };
}

/** What a PutMetricData case sent, per host, to check against GetMetricStatistics. */
interface MetricTally {
  metricName: string;
  sum: number[];
  count: number[];
}

const dimensions = (host: number) => [
  { Name: "Service", Value: "inference" },
  { Name: "Host", Value: `host-${host}` },
  { Name: "Model", Value: "tinyllama-1.1b" },
];

/** Request i: 20 datums, datum j on host j % 4 with an integer value 1..7 (sums stay exact). */
function putMetricData(cw: CloudWatchClient, tally: MetricTally, i: number): Promise<unknown> {
  const now = new Date();
  const data = [];
  for (let j = 0; j < DATUMS_PER_REQUEST; j++) {
    const host = j % HOSTS;
    const value = ((i * DATUMS_PER_REQUEST + j) % 7) + 1;
    tally.sum[host] = (tally.sum[host] ?? 0) + value;
    tally.count[host] = (tally.count[host] ?? 0) + 1;
    data.push({
      MetricName: tally.metricName,
      Dimensions: dimensions(host),
      Value: value,
      Unit: "Milliseconds" as const,
      Timestamp: now,
    });
  }
  return cw.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: data }));
}

async function verifyMetrics(label: string, cw: CloudWatchClient, tally: MetricTally, since: Date) {
  for (let host = 0; host < HOSTS; host++) {
    const out = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: NAMESPACE,
        MetricName: tally.metricName,
        Dimensions: dimensions(host),
        StartTime: new Date(since.getTime() - 5 * 60_000),
        EndTime: new Date(Date.now() + 5 * 60_000),
        Period: 60,
        Statistics: ["Sum", "SampleCount"],
      }),
    );
    let sum = 0;
    let count = 0;
    for (const p of out.Datapoints ?? []) {
      sum += p.Sum ?? 0;
      count += p.SampleCount ?? 0;
    }
    const want = { sum: tally.sum[host] ?? 0, count: tally.count[host] ?? 0 };
    if (sum !== want.sum || count !== want.count)
      throw new BenchFailure(
        `${label}: GetMetricStatistics ${tally.metricName} host-${host}: Sum ${sum}, SampleCount ${count}; ` +
          `sent Sum ${want.sum}, SampleCount ${want.count}`,
      );
  }
}

/** Runs INSTANCES_PER_ROLE instances per role; the ids per role. */
async function runInstances(label: string, ec2: EC2Client): Promise<Record<"worker" | "api", string[]>> {
  const ids = { worker: [] as string[], api: [] as string[] };
  for (const role of ["worker", "api"] as const) {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: "ami-12c6146b",
        InstanceType: "t3.micro",
        MinCount: INSTANCES_PER_ROLE,
        MaxCount: INSTANCES_PER_ROLE,
        TagSpecifications: [
          {
            ResourceType: "instance",
            Tags: [
              { Key: "Role", Value: role },
              { Key: "Project", Value: "tinyllama" },
              { Key: "Name", Value: `bench-${role}` },
            ],
          },
        ],
      }),
    );
    for (const inst of out.Instances ?? []) if (inst.InstanceId) ids[role].push(inst.InstanceId);
    if (ids[role].length !== INSTANCES_PER_ROLE)
      throw new BenchFailure(
        `${label}: RunInstances returned ${ids[role].length} instances, not ${INSTANCES_PER_ROLE}`,
      );
  }
  return ids;
}

function describeInstances(ec2: EC2Client, label: string, want: Set<string>, role: string | undefined) {
  return async () => {
    const out = await ec2.send(
      new DescribeInstancesCommand(role ? { Filters: [{ Name: "tag:Role", Values: [role] }] } : {}),
    );
    const got = (out.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId));
    if (got.length !== want.size || !got.every((id) => id !== undefined && want.has(id)))
      throw new BenchFailure(
        `${label}: DescribeInstances${role ? ` tag:Role=${role}` : ""} returned ${got.length} instance(s) ` +
          `${JSON.stringify(got.slice(0, 5))}..., expected ${want.size}`,
      );
  };
}

async function runServer(
  name: ServerName,
  moto: string | undefined,
  requests: number,
  concurrencies: number[],
  run: number,
): Promise<RunResult> {
  const server = await startServer(name, moto);
  try {
    const { cw, ec2 } = server.clients;
    const pid = server.proc.pid;
    const label = `${name} run ${run}`;
    const ids = await runInstances(label, ec2);
    const all = new Set([...ids.worker, ...ids.api]);
    const describeAll = describeInstances(ec2, label, all, undefined);
    const describeWorkers = describeInstances(ec2, `${label} tag filter`, new Set(ids.worker), "worker");

    const tally = (metricName: string): MetricTally => ({ metricName, sum: [], count: [] });
    const ops: Record<Operation, (tally: MetricTally) => (i: number) => Promise<unknown>> = {
      PutMetricData: (t) => (i) => putMetricData(cw, t, i),
      DescribeInstances: () => describeAll,
      "DescribeInstances tag:Role": () => describeWorkers,
    };

    // Untimed warm-up of every operation (server JIT / caches, this process's SDK paths).
    const warm = tally("Warmup");
    const warmStart = new Date();
    for (const op of OPERATIONS)
      await drive(WARMUP_REQUESTS, Math.max(...concurrencies), async (i) => {
        await ops[op](warm)(i);
      });
    await verifyMetrics(`${label} warm-up`, cw, warm, warmStart);

    const cases = new Map<string, CaseResult>();
    for (const op of OPERATIONS) {
      for (const concurrency of concurrencies) {
        const t = tally(`Latency_c${concurrency}`);
        const fn = ops[op](t);
        const since = new Date();
        const cpuStart = cpuMs(pid);
        const { seconds, latencies } = await drive(requests, concurrency, async (i) => {
          await fn(i);
        });
        const cpu = cpuMs(pid) - cpuStart;
        if (op === "PutMetricData") await verifyMetrics(`${label} c=${concurrency}`, cw, t, since);
        cases.set(caseKey(op, concurrency), {
          perSec: requests / seconds,
          p50Ms: quantile(latencies, 0.5),
          p99Ms: quantile(latencies, 0.99),
          cpuMsPer1k: (cpu * 1000) / requests,
        });
      }
    }
    return { startupMs: server.proc.startupMs, rssMiB: rssMiB(pid), cases };
  } catch (err) {
    // An SDK error (an unexpected 4xx/5xx) means the server got a request wrong: a correctness failure.
    if (err instanceof BenchFailure) throw err;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.$metadata)
      throw new BenchFailure(
        `${name} run ${run}: ${e.name} (HTTP ${e.$metadata.httpStatusCode}): ${e.message}\n${server.proc.stderr().slice(-2000)}`,
      );
    throw err;
  } finally {
    await stopServer(server);
  }
}

/**
 * moto_server on PATH. A pyenv shim is resolved to the script it runs, so moto's startup does
 * not include the shim's bash and `pyenv exec` (about 0.1 s here).
 */
function findMoto(): string | undefined {
  const found = findOnPath("moto_server");
  if (!found?.includes(`${path.sep}shims${path.sep}`)) return found;
  try {
    const real = execFileSync("pyenv", ["which", "moto_server"], { encoding: "utf8" }).trim();
    return real && fs.existsSync(real) ? real : found;
  } catch {
    return found;
  }
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

function report(
  results: Map<ServerName, RunResult[]>,
  runs: number,
  requests: number,
  concurrencies: number[],
  motoNote: string | undefined,
): string[] {
  const lines: string[] = [];
  lines.push(
    `${requests} requests per case, median of ${runs} run(s) (min–max). PutMetricData: ${DATUMS_PER_REQUEST} datums ` +
      `per request; DescribeInstances: ${2 * INSTANCES_PER_ROLE} instances, tag:Role filter matching ${INSTANCES_PER_ROLE}.`,
  );
  if (motoNote) lines.push("", motoNote);
  lines.push(
    "",
    "| server | operation | concurrency | req/s | p50 ms | p99 ms | startup ms | RSS MiB | server CPU ms per 1k req |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const [name, rs] of results) {
    for (const op of OPERATIONS) {
      for (const c of concurrencies) {
        const pick = (f: (x: CaseResult) => number) =>
          rs.map((r) => f(r.cases.get(caseKey(op, c)) as CaseResult));
        lines.push(
          `| ${name} | ${op} | ${c} | ${spread(
            pick((x) => x.perSec),
            int,
          )} | ${spread(
            pick((x) => x.p50Ms),
            ms,
          )} | ${spread(
            pick((x) => x.p99Ms),
            ms,
          )} | ${spread(
            rs.map((r) => r.startupMs),
            int,
          )} | ${spread(
            rs.map((r) => r.rssMiB),
            (x) => x.toFixed(1),
          )} | ${spread(
            pick((x) => x.cpuMsPer1k),
            int,
          )} |`,
        );
      }
    }
  }

  const moto = results.get("moto");
  const ours = (["ours", "ours-persistent"] as ServerName[]).filter((n) => results.has(n));
  if (!moto || ours.length === 0) return lines;
  /** Median over runs of ours/moto; runs are paired by index (same rotation, close in time). */
  const ratio = (rs: RunResult[], pick: (r: RunResult) => number) =>
    median(rs.map((r, i) => pick(r) / pick(moto[i] as RunResult)));
  lines.push(
    "",
    "Ratios ours/moto, the median of per-run ratios. req/s: higher is better; latency and server CPU: lower is better.",
    "",
    "| comparison | operation | concurrency | req/s | p50 | p99 | server CPU per req |",
    "|---|---|---|---|---|---|---|",
  );
  for (const name of ours) {
    const rs = results.get(name) as RunResult[];
    for (const op of OPERATIONS) {
      for (const c of concurrencies) {
        const at = (f: (x: CaseResult) => number) => (r: RunResult) =>
          f(r.cases.get(caseKey(op, c)) as CaseResult);
        const x = (f: (x: CaseResult) => number) => `${ratio(rs, at(f)).toFixed(2)}x`;
        lines.push(
          `| ${name}/moto | ${op} | ${c} | ${x((v) => v.perSec)} | ${x((v) => v.p50Ms)} | ${x((v) => v.p99Ms)} | ${x(
            (v) => v.cpuMsPer1k,
          )} |`,
        );
      }
    }
  }
  lines.push(
    "",
    `${ours
      .map((name) => {
        const rs = results.get(name) as RunResult[];
        const rss = ratio(rs, (r) => r.rssMiB).toFixed(2);
        const startup = ratio(rs, (r) => r.startupMs).toFixed(2);
        return `${name}/moto: RSS ${rss}x, startup ${startup}x`;
      })
      .join("; ")} (lower is better).`,
  );
  return lines;
}

async function main(): Promise<number> {
  const options = parseOptions();
  const { runs, requests, concurrencies } = options;
  let { servers } = options;
  const moto = findMoto();
  let motoNote: string | undefined;
  if (servers.includes("moto") && !moto) {
    servers = servers.filter((s) => s !== "moto");
    motoNote =
      "moto_server is NOT installed (not on PATH): our emulator ran alone, so there are no ours/moto ratios. " +
      "Install it with `pip install 'moto[server]'` to compare.";
    console.error(`bench:emulator: ${motoNote}`);
    if (servers.length === 0) {
      console.error("bench:emulator: no server left to run");
      return 1;
    }
  }
  const results = new Map<ServerName, RunResult[]>(servers.map((s) => [s, []]));
  console.error(
    `bench:emulator: ${servers.join(", ")}; ${runs} run(s) x ${requests} requests per case, concurrency ` +
      `${concurrencies.join(", ")}; node ${process.version}, ${os.cpus().length} cpus, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}${moto && servers.includes("moto") ? `; moto_server at ${moto}` : ""}`,
  );
  try {
    // Warm up this process's SDK clients (their first requests are slow) on a throwaway server.
    await runServer(servers[0] as ServerName, moto, Math.min(requests, 50), concurrencies, 0);
    for (let run = 1; run <= runs; run++) {
      // Rotate the order each run so no server is always first or last.
      const order = servers.map((_, i) => servers[(i + run - 1) % servers.length] as ServerName);
      for (const name of order) {
        const r = await runServer(name, moto, requests, concurrencies, run);
        results.get(name)?.push(r);
        console.error(
          `  run ${run} ${name}: startup ${int(r.startupMs)} ms, RSS ${r.rssMiB.toFixed(1)} MiB, ` +
            [...r.cases].map(([k, v]) => `${k} ${int(v.perSec)}/s`).join(", "),
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
  console.log(report(results, runs, requests, concurrencies, motoNote).join("\n"));
  return 0;
}

process.exitCode = await main();
