/**
 * The server side of `bench:gateway`, run as its own process so the load generator does not
 * share its CPU: the gateway (limits raised so nothing is throttled) and, in the same process,
 * a bare Express 5 route answering the same JSON as /ping. Prints one JSON line with both URLs,
 * then serves until SIGTERM.
 *
 *   BENCH_AWS_ENDPOINT=... BENCH_ISSUER=... BENCH_TOKEN=... node scripts/bench/gateway-servers.ts
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { startGateway } from "../../services/gateway/server.ts";
import { loadConfig } from "../../services/lib/config.ts";
import { createLogger } from "../../services/lib/logger.ts";

const { BENCH_AWS_ENDPOINT: endpoint, BENCH_ISSUER: issuer, BENCH_TOKEN: token } = process.env;
if (!endpoint || !issuer || !token) throw new Error("set BENCH_AWS_ENDPOINT, BENCH_ISSUER and BENCH_TOKEN");
const config = loadConfig();
const gateway = await startGateway({
  config,
  issuer,
  aws: { endpoint, region: config.region },
  port: 0,
  logger: createLogger("gateway", { level: "silent" }),
  limits: { burstPerSecond: 1_000_000_000, requestsPerMinute: 1_000_000_000 },
});

const body = await (
  await fetch(`${gateway.url}/ping`, { headers: { authorization: `Bearer ${token}` } })
).json();
const bareApp = express();
bareApp.get("/ping", (_req, res) => void res.json(body));
const bare = http.createServer(bareApp);
await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));

process.stdout.write(
  `${JSON.stringify({ gateway: gateway.url, bare: `http://127.0.0.1:${(bare.address() as AddressInfo).port}` })}\n`,
);
process.once("SIGTERM", () => {
  bare.close();
  void gateway.close().then(() => process.exit(0));
});
