/**
 * Per-user throttling through the whole gateway (real tokens, real HTTP), with the gateway's
 * clock injected so window edges are exact: 5 per 1 s, 20 per 60 s, per `sub`; 429 with
 * Retry-After 60 readable by browsers; every 429 counted once in TinyLlama/ApiRateLimitBreaches,
 * read back from CloudWatch.
 */
import { randomUUID } from "node:crypto";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BREACH_METRIC } from "../../services/gateway/server.ts";
import { createCloudWatchClient } from "../../services/lib/aws-clients.ts";
import {
  idToken,
  type JwksServer,
  makeKey,
  type SigningKey,
  type Stack,
  startJwks,
  startStack,
} from "./helpers.ts";

describe("per-user throttling", () => {
  let key: SigningKey;
  let jwks: JwksServer;
  let stack: Stack;
  let clock = Date.now();
  const statuses: number[] = [];
  const ping = async (token: string, origin?: string) => {
    const req = request(stack.gateway.url).get("/ping").set("Authorization", `Bearer ${token}`);
    const res = await (origin ? req.set("Origin", origin) : req);
    statuses.push(res.status);
    return res;
  };
  const user = () => idToken(key, jwks.issuer, { sub: randomUUID() });

  beforeAll(async () => {
    key = await makeKey();
    jwks = await startJwks([key]);
    stack = await startStack({ issuer: jwks.issuer, now: () => clock, metricFlushIntervalMs: 200 });
  });
  afterAll(async () => {
    await stack.close();
    await jwks.close();
  });

  it("answers 6 rapid calls with 5 x 200 and one 429 (Retry-After 60, exposed to browsers)", async () => {
    const token = await user();
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await ping(token, "http://localhost:5173"));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = results[5];
    expect(limited?.body).toEqual({ error: "rate_limited" });
    expect(limited?.headers["retry-after"]).toBe("60");
    expect(limited?.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(limited?.headers["access-control-expose-headers"]).toMatch(/\bRetry-After\b/);
  });

  it("admits exactly 5 of 50 concurrent requests from one user", async () => {
    const token = await user();
    const results = await Promise.all(Array.from({ length: 50 }, () => ping(token)));
    const counts = { ok: 0, limited: 0 };
    for (const r of results) r.status === 200 ? counts.ok++ : r.status === 429 && counts.limited++;
    expect(counts).toEqual({ ok: 5, limited: 45 });
  });

  it("slides: the next second admits 5 more, the minute caps at 20, refusals cost nothing", async () => {
    const token = await user();
    const start = clock;
    let admitted = 0;
    for (let second = 0; second < 6; second++) {
      clock = start + second * 1000;
      for (let i = 0; i < 7; i++) if ((await ping(token)).status === 200) admitted++;
    }
    expect(admitted).toBe(20);
    clock = start + 59_999; // the first 5 hits (at start) are still inside the minute
    expect((await ping(token)).status).toBe(429);
    clock = start + 60_000; // ...and now they have left it: 5 slots, despite 22 refusals meanwhile
    const next = [];
    for (let i = 0; i < 6; i++) next.push((await ping(token)).status);
    expect(next).toEqual([200, 200, 200, 200, 200, 429]);
    clock = start + 120_000;
  });

  it("keeps users apart and never throttles /healthz", async () => {
    const [alice, bob] = [await user(), await user()];
    for (let i = 0; i < 5; i++) expect((await ping(alice)).status).toBe(200);
    expect((await ping(alice)).status).toBe(429);
    expect((await ping(bob)).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await request(stack.gateway.url).get("/healthz")).status).toBe(200);
  });

  it("counts every 429, and only 429s, in ApiRateLimitBreaches (read back from CloudWatch)", async () => {
    const breaches = statuses.filter((s) => s === 429).length;
    expect(breaches).toBeGreaterThan(0);
    await stack.gateway.metrics.close();
    const cloudwatch = createCloudWatchClient({ endpoint: stack.emulator.url, region: stack.config.region });
    const out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: stack.config.metricNamespace,
        MetricName: BREACH_METRIC,
        StartTime: new Date(Date.now() - 3600_000),
        EndTime: new Date(clock + 3600_000),
        Period: 86_400,
        Statistics: ["Sum"],
      }),
    );
    const sum = (out.Datapoints ?? []).reduce((total, d) => total + (d.Sum ?? 0), 0);
    expect(sum).toBe(breaches);
  });
});
