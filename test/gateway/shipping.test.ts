/**
 * The access-log shipper and the metric batcher when CloudWatch fails: nothing is lost, nothing
 * throws, and what was held back arrives once the service answers again (at the latest on
 * close). A proxy in front of the emulator plays the outage. Plus PutLogEvents batch limits.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { clientConfig } from "../../services/lib/aws-clients.ts";
import { LogGroupMissingError, LogShipper, takeBatch } from "../../services/lib/log-shipper.ts";
import { MetricBatcher } from "../../services/lib/metric-batcher.ts";
import { ensureLogGroup } from "./helpers.ts";

/** Forwards to `target`, or answers 503 while `failing`. */
async function flakyProxy(target: string) {
  const state = { failing: true, refused: 0 };
  const server = http.createServer((req, res) => {
    if (state.failing) {
      state.refused++;
      req.resume();
      return void res.writeHead(503, { "content-type": "text/plain" }).end("outage");
    }
    const upstream = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe("shipping through a CloudWatch outage", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());
  const direct = (id: string) => ({ ...clientConfig(id, { endpoint: emulator.url }), maxAttempts: 1 });

  it("keeps metric counts through failed PutMetricData calls and sends them all on close", async () => {
    const proxy = await flakyProxy(emulator.url);
    const cloudwatch = new CloudWatchClient({
      ...clientConfig("CLOUDWATCH", { endpoint: proxy.url }),
      maxAttempts: 1,
    });
    const batcher = new MetricBatcher({ cloudwatch, namespace: "ShipTest", flushIntervalMs: 50 });
    for (let i = 0; i < 7; i++) batcher.add("Breaches");
    await batcher.flush();
    expect(proxy.refused).toBeGreaterThan(0);
    expect(batcher.pendingTotal("Breaches")).toBe(7);
    for (let i = 0; i < 3; i++) batcher.add("Breaches");
    proxy.failing = false;
    await batcher.close();
    expect(batcher.pendingTotal("Breaches")).toBe(0);
    const out = await new CloudWatchClient(direct("CLOUDWATCH")).send(
      new GetMetricStatisticsCommand({
        Namespace: "ShipTest",
        MetricName: "Breaches",
        StartTime: new Date(Date.now() - 600_000),
        EndTime: new Date(Date.now() + 600_000),
        Period: 3600,
        Statistics: ["Sum"],
      }),
    );
    expect((out.Datapoints ?? []).reduce((sum, d) => sum + (d.Sum ?? 0), 0)).toBe(10);
    await proxy.close();
  });

  it("keeps log lines through failed calls (stream creation included) and ships them in order on close", async () => {
    await ensureLogGroup(new CloudWatchLogsClient(direct("CLOUDWATCH_LOGS")), "/ship/test");
    const proxy = await flakyProxy(emulator.url);
    const logs = new CloudWatchLogsClient({
      ...clientConfig("CLOUDWATCH_LOGS", { endpoint: proxy.url }),
      maxAttempts: 1,
    });
    const shipper = new LogShipper({ logs, group: "/ship/test", stream: "outage", flushIntervalMs: 50 });
    await shipper.start(); // CreateLogStream fails: no throw, retried later
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) shipper.push(`line ${i}`, t0 + i);
    await shipper.flush();
    expect(shipper.pending).toBe(3);
    proxy.failing = false;
    shipper.push("line 3", t0 + 3);
    await shipper.close();
    expect(shipper.pending).toBe(0);
    const { events = [] } = await new CloudWatchLogsClient(direct("CLOUDWATCH_LOGS")).send(
      new GetLogEventsCommand({ logGroupName: "/ship/test", logStreamName: "outage", startFromHead: true }),
    );
    expect(events.map((e) => e.message)).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    await proxy.close();
  });

  it("fails start() clearly when the log group does not exist", async () => {
    const logs = new CloudWatchLogsClient(direct("CLOUDWATCH_LOGS"));
    const shipper = new LogShipper({ logs, group: "/no/such/group", stream: "s" });
    await expect(shipper.start()).rejects.toThrow(LogGroupMissingError);
    await expect(shipper.start()).rejects.toThrow(/log group \/no\/such\/group does not exist: provision it/);
  });
});

describe("takeBatch (PutLogEvents limits)", () => {
  const events = (n: number, size = 10, step = 1) =>
    Array.from({ length: n }, (_, i) => ({ message: "x".repeat(size), timestamp: 1_000 + i * step }));

  it("takes at most 10,000 events", () => {
    const buffer = events(10_500);
    expect(takeBatch(buffer)).toHaveLength(10_000);
    expect(buffer).toHaveLength(500);
  });

  it("keeps a batch within 1,048,576 bytes counting 26 bytes per event", () => {
    const buffer = events(20, 100_000);
    const batch = takeBatch(buffer);
    expect(batch).toHaveLength(10); // 10 x 100,026 fits, 11 would not
    expect(batch.length * 100_026).toBeLessThanOrEqual(1_048_576);
  });

  it("spans at most 24 hours and sorts by time", () => {
    const buffer = [...events(3, 5, 3_600_000 * 13)].reverse();
    const batch = takeBatch(buffer);
    expect(batch.map((e) => e.timestamp)).toEqual([1_000, 1_000 + 3_600_000 * 13]);
    expect(buffer).toHaveLength(1);
  });
});
