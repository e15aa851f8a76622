/**
 * Gateway benchmark (`npm run bench:gateway`): what the gateway's middleware costs.
 *
 *   node scripts/bench/gateway.ts [--seconds 5] [--rounds 3]
 *
 Here: the AWS emulator (provisioned, access log group created), the mock Cognito and
 * autocannon. In a child process (gateway-servers.ts): the gateway with limits raised so nothing
 * is throttled, and a bare Express 5 route that answers the same JSON as /ping (the baseline).
 * autocannon, 50 connections, on `GET /ping` with a real ID token from InitiateAuth vs the bare
 * route; rounds alternate the order, the ratio is taken per round, then the median. Then at one connection: the CORS preflight p99 and the 401
 * (no token) p99. Last, the cold start of auth: a fresh verifier's first verify, which fetches
 * the JWKS and checks RS256 (median of 7). BENCH_CPU_PROF=<dir> writes a CPU profile of the
 * server process there.
 * Targets print met or MISSED; a missed target does not fail the run.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { startEmulator } from "../../emulators/aws/server.ts";
import { createCognito } from "../../emulators/cognito/server.ts";
import { createIdTokenVerifier } from "../../services/gateway/jwt-auth.ts";
import { createLogsClient, createS3Client, createSqsClient } from "../../services/lib/aws-clients.ts";
import { loadConfig } from "../../services/lib/config.ts";
import { provision } from "../../services/lib/provision.ts";
import { ensureLogGroup, login } from "../../test/gateway/helpers.ts";

const { values } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "3" } },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

const config = loadConfig();
const emulator = await startEmulator({ port: 0 });
const aws = { endpoint: emulator.url, region: config.region };
await provision({ config, sqs: createSqsClient(aws), s3: createS3Client(aws) });
await ensureLogGroup(createLogsClient(aws), config.logs.accessLogGroup);
const cognito = await createCognito({ port: 0, config });
const [user] = config.users;
const client = config.cognito.clients[0]?.clientId;
if (!user || !client) throw new Error("config needs a user and an app client");
const { IdToken: token } = await login(cognito.url, client, user.username, user.password);

const servers = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    path.join(import.meta.dirname, "gateway-servers.ts"),
  ],
  {
    env: {
      ...process.env,
      BENCH_AWS_ENDPOINT: emulator.url,
      BENCH_ISSUER: cognito.issuer,
      BENCH_TOKEN: token,
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const [first] = (await once(createInterface({ input: servers.stdout as Readable }), "line")) as [string];
const { gateway: gatewayUrl, bare: bareUrl } = JSON.parse(first) as { gateway: string; bare: string };

interface Run {
  rps: number;
  p99: number;
  non2xx: number;
}

async function load(
  url: string,
  options: Partial<autocannon.Options> = {},
  duration = seconds,
): Promise<Run> {
  const result = await autocannon({ url, connections: 50, duration, ...options });
  return { rps: result.requests.average, p99: result.latency.p99, non2xx: result.non2xx };
}

const auth = { authorization: `Bearer ${token}` };
console.log(`warming up (2 s each), then ${rounds} rounds of ${seconds} s at 50 connections`);
await load(`${bareUrl}/ping`, {}, 2);
await load(`${gatewayUrl}/ping`, { headers: auth }, 2);

const ratios: number[] = [];
const rows: string[] = [];
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? (["bare", "gateway"] as const) : (["gateway", "bare"] as const);
  const runs: Record<string, Run> = {};
  for (const which of order)
    runs[which] =
      which === "bare" ? await load(`${bareUrl}/ping`) : await load(`${gatewayUrl}/ping`, { headers: auth });
  const b = runs.bare as Run;
  const g = runs.gateway as Run;
  if (g.non2xx > 0) throw new Error(`the gateway answered ${g.non2xx} non-2xx responses: the run is invalid`);
  ratios.push(g.rps / b.rps);
  rows.push(
    `  round ${round}: bare ${b.rps.toFixed(0)} req/s p99 ${b.p99} ms | gateway ${g.rps.toFixed(0)} req/s p99 ${g.p99} ms | ratio ${(g.rps / b.rps).toFixed(2)}`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const ratio = median(ratios);

const preflight = await load(
  `${gatewayUrl}/infer`,
  {
    connections: 1,
    method: "OPTIONS",
    headers: {
      origin: "http://localhost:5173",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  },
  3,
);
const unauthorized = await load(`${gatewayUrl}/ping`, { connections: 1 }, 3);

// Cold JWKS: a fresh verifier's first verify fetches the key set; the second is a cache hit.
const colds: number[] = [];
const warms: number[] = [];
for (let i = 0; i < 7; i++) {
  const verifier = createIdTokenVerifier({ issuer: cognito.issuer, audience: [client] });
  let t = performance.now();
  await verifier.verify(token);
  const first = performance.now() - t;
  t = performance.now();
  await verifier.verify(token);
  const warm = performance.now() - t;
  colds.push(first);
  warms.push(warm);
}
const cold = median(colds);

const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
console.log(
  [
    "",
    `GET /ping, 50 connections, ${seconds} s x ${rounds} rounds (Node ${process.version})`,
    ...rows,
    `  median ratio gateway/bare: ${ratio.toFixed(2)}x   target >= 0.6x: ${verdict(ratio >= 0.6)}`,
    `CORS preflight, 1 connection: ${preflight.rps.toFixed(0)} req/s, p99 ${preflight.p99} ms   target < 10 ms: ${verdict(preflight.p99 < 10)}`,
    `401 (no token), 1 connection: ${unauthorized.rps.toFixed(0)} req/s, p99 ${unauthorized.p99} ms   target < 5 ms: ${verdict(unauthorized.p99 < 5)}`,
    `cold JWKS fetch (a fresh verifier's first verify, median of 7): ${cold.toFixed(2)} ms (then ${median(warms).toFixed(3)} ms from the verified-token cache)   target < 50 ms: ${verdict(cold < 50)}`,
    "",
  ].join("\n"),
);

servers.kill("SIGTERM");
await once(servers, "exit");
await cognito.close();
await emulator.close();
