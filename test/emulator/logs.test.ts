/**
 * CloudWatch Logs through the real @aws-sdk/client-cloudwatch-logs (AWS JSON 1.1) against the
 * emulator on an ephemeral port, with a manual clock so retention and the PutLogEvents time rules
 * can be tested without waiting. Metric filters are observed through the emulator's
 * `/_emulator/logs/metric-data` route (what went to the putMetricData port) and, once CloudWatch
 * serves GetMetricStatistics, through CloudWatch itself.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CloudWatchClient, GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteMetricFilterCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  type InputLogEvent,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagLogGroupCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { findAwsCli, isolatedAwsEnv, runAwsCli } from "../helpers/aws-cli.ts";
import { failure } from "../helpers/sdk-error.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const GROUP = "/apigw/tinyllama-access";

let now = Date.UTC(2025, 5, 1, 12, 0, 0);
const clock = { now: () => now };
let emulator: Emulator;
let logs: CloudWatchLogsClient;

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const client = (url: string) =>
  new CloudWatchLogsClient({ endpoint: url, region: "us-east-1", credentials, maxAttempts: 1 });

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, clock });
  logs = client(emulator.url);
});

afterAll(async () => {
  logs?.destroy();
  await emulator?.close();
});

async function groupWithStream(group: string, stream = "s1") {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
}

async function put(group: string, stream: string, logEvents: InputLogEvent[]) {
  return logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents }));
}

async function describeGroup(name: string) {
  const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return out.logGroups?.find((g) => g.logGroupName === name);
}

async function publishedMetrics(): Promise<
  Array<{ namespace: string; datum: { MetricName: string; Value: number; Timestamp: number; Unit?: string } }>
> {
  const res = await fetch(`${emulator.url}/_emulator/logs/metric-data`);
  return ((await res.json()) as { published: never[] }).published;
}

describe("log groups", () => {
  it("CreateLogGroup, DescribeLogGroups (prefix, limit, nextToken, fields), DeleteLogGroup", async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP, tags: { app: "tinyllama" } }));
    for (const n of ["/g/a", "/g/b", "/g/c"]) await logs.send(new CreateLogGroupCommand({ logGroupName: n }));

    const g = await describeGroup(GROUP);
    expect(g).toMatchObject({
      logGroupName: GROUP,
      creationTime: now,
      metricFilterCount: 0,
      storedBytes: 0,
      arn: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}:*`,
      logGroupArn: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}`,
      logGroupClass: "STANDARD",
    });
    expect(g?.retentionInDays).toBeUndefined();

    const page1 = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/g/", limit: 2 }));
    expect(page1.logGroups?.map((x) => x.logGroupName)).toEqual(["/g/a", "/g/b"]);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: "/g/", limit: 2, nextToken: page1.nextToken }),
    );
    expect(page2.logGroups?.map((x) => x.logGroupName)).toEqual(["/g/c"]);
    expect(page2.nextToken).toBeUndefined();

    const byPattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: "tinyllama" }));
    expect(byPattern.logGroups?.map((x) => x.logGroupName)).toEqual([GROUP]);

    expect(await failure(logs.send(new CreateLogGroupCommand({ logGroupName: "/g/a" })))).toMatchObject({
      name: "ResourceAlreadyExistsException",
      status: 400,
      fault: "client",
    });
    for (const bad of ["", "has space", "a".repeat(513), "aws/reserved"]) {
      expect((await failure(logs.send(new CreateLogGroupCommand({ logGroupName: bad })))).name, bad).toBe(
        "InvalidParameterException",
      );
    }

    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/g/c" }));
    expect(await describeGroup("/g/c")).toBeUndefined();
    expect(await failure(logs.send(new DeleteLogGroupCommand({ logGroupName: "/g/c" })))).toMatchObject({
      name: "ResourceNotFoundException",
      status: 400,
    });
  });

  it("PutRetentionPolicy accepts only AWS's values; DeleteRetentionPolicy removes it", async () => {
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 30 }));
    expect((await describeGroup(GROUP))?.retentionInDays).toBe(30);
    for (const bad of [0, 2, 31, 10_000]) {
      const err = await failure(
        logs.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: bad })),
      );
      expect(err.name, String(bad)).toBe("InvalidParameterException");
    }
    expect(
      (await failure(logs.send(new PutRetentionPolicyCommand({ logGroupName: "/nope", retentionInDays: 1 }))))
        .name,
    ).toBe("ResourceNotFoundException");
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: "/g/a" }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/g/a", retentionInDays: 3653 }));
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: "/g/a" }));
    expect((await describeGroup("/g/a"))?.retentionInDays).toBeUndefined();
  });

  it("TagResource / UntagResource / ListTagsForResource and the legacy TagLogGroup family", async () => {
    const arn = `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}`;
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { team: "infra", env: "dev" } }));
    expect((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({
      app: "tinyllama",
      team: "infra",
      env: "dev",
    });
    await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["env"] }));
    await logs.send(new TagLogGroupCommand({ logGroupName: GROUP, tags: { owner: "me" } }));
    await logs.send(new UntagLogGroupCommand({ logGroupName: GROUP, tags: ["team"] }));
    expect((await logs.send(new ListTagsLogGroupCommand({ logGroupName: GROUP }))).tags).toEqual({
      app: "tinyllama",
      owner: "me",
    });
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
    expect((await failure(logs.send(new TagResourceCommand({ resourceArn: arn, tags: many })))).name).toBe(
      "TooManyTagsException",
    );
    expect(
      (await failure(logs.send(new ListTagsForResourceCommand({ resourceArn: `${arn}-missing` })))).name,
    ).toBe("ResourceNotFoundException");
  });
});

describe("log streams", () => {
  it("CreateLogStream, DescribeLogStreams (prefix, orderBy, descending, timestamps), DeleteLogStream", async () => {
    const group = "/streams/test";
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    for (const s of ["b-stream", "a-stream", "c-other"]) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s }));
    }
    expect(
      (
        await failure(
          logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "a-stream" })),
        )
      ).name,
    ).toBe("ResourceAlreadyExistsException");
    expect(
      (
        await failure(
          logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "bad:name" })),
        )
      ).name,
    ).toBe("InvalidParameterException");
    expect(
      (await failure(logs.send(new CreateLogStreamCommand({ logGroupName: "/missing", logStreamName: "x" }))))
        .name,
    ).toBe("ResourceNotFoundException");

    await put(group, "b-stream", [
      { timestamp: now - 2000, message: "one" },
      { timestamp: now - 1000, message: "two" },
    ]);
    await put(group, "a-stream", [{ timestamp: now - 5000, message: "old" }]);

    const byName = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
    expect(byName.logStreams?.map((s) => s.logStreamName)).toEqual(["a-stream", "b-stream", "c-other"]);
    const b = byName.logStreams?.find((s) => s.logStreamName === "b-stream");
    expect(b).toMatchObject({
      firstEventTimestamp: now - 2000,
      lastEventTimestamp: now - 1000,
      lastIngestionTime: now,
      creationTime: now,
      arn: `arn:aws:logs:us-east-1:000000000000:log-group:${group}:log-stream:b-stream`,
    });

    const prefixed = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: "c" }),
    );
    expect(prefixed.logStreams?.map((s) => s.logStreamName)).toEqual(["c-other"]);

    const latest = await logs.send(
      new DescribeLogStreamsCommand({
        logGroupName: group,
        orderBy: "LastEventTime",
        descending: true,
        limit: 2,
      }),
    );
    expect(latest.logStreams?.map((s) => s.logStreamName)).toEqual(["b-stream", "a-stream"]);
    expect(latest.nextToken).toBeTruthy();

    const byArn = await logs.send(
      new DescribeLogStreamsCommand({
        logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${group}`,
      }),
    );
    expect(byArn.logStreams).toHaveLength(3);

    expect(
      (
        await failure(
          logs.send(
            new DescribeLogStreamsCommand({
              logGroupName: group,
              orderBy: "LastEventTime",
              logStreamNamePrefix: "a",
            }),
          ),
        )
      ).name,
    ).toBe("InvalidParameterException");

    await logs.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: "c-other" }));
    expect(
      (
        await failure(
          logs.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: "c-other" })),
        )
      ).name,
    ).toBe("ResourceNotFoundException");
  });
});

describe("PutLogEvents batch rules", () => {
  const group = "/rules";
  beforeAll(() => groupWithStream(group));

  it("missing group or stream is ResourceNotFoundException", async () => {
    const ev = [{ timestamp: now, message: "x" }];
    expect(await failure(put("/nope", "s1", ev))).toMatchObject({
      name: "ResourceNotFoundException",
      status: 400,
    });
    expect((await failure(put(group, "nope", ev))).message).toBe("The specified log stream does not exist.");
  });

  it("sequence tokens are ignored: any token is accepted, none needed", async () => {
    const out = await logs.send(
      new PutLogEventsCommand({
        logGroupName: group,
        logStreamName: "s1",
        sequenceToken: "not-a-real-token",
        logEvents: [{ timestamp: now, message: "ok" }],
      }),
    );
    expect(out.rejectedLogEventsInfo).toBeUndefined();
    await put(group, "s1", [{ timestamp: now, message: "ok again" }]);
  });

  it("rejects batches out of chronological order, empty, too many, too large, or spanning > 24 h", async () => {
    const bad = async (events: InputLogEvent[]) => (await failure(put(group, "s1", events))).name;
    expect(
      await bad([
        { timestamp: now, message: "b" },
        { timestamp: now - 1, message: "a" },
      ]),
    ).toBe("InvalidParameterException");
    expect(await bad([])).toBe("InvalidParameterException");
    expect(await bad(Array.from({ length: 10_001 }, () => ({ timestamp: now, message: "x" })))).toBe(
      "InvalidParameterException",
    );
    // 1,048,576 bytes counting 26 per event: 4 events of 262,118 bytes fit exactly, one more byte does not.
    const fits = Array.from({ length: 4 }, () => ({ timestamp: now, message: "x".repeat(262_144 - 26) }));
    await put(group, "s1", fits);
    const tooBig = [...fits.slice(0, 3), { timestamp: now, message: "x".repeat(262_144 - 25) }];
    expect(await bad(tooBig)).toBe("InvalidParameterException");
    expect(
      await bad([
        { timestamp: now - 25 * HOUR, message: "a" },
        { timestamp: now, message: "b" },
      ]),
    ).toBe("InvalidParameterException");
    await put(group, "s1", [
      { timestamp: now - 24 * HOUR, message: "span edge a" },
      { timestamp: now, message: "span edge b" },
    ]);
  });

  it("too old, expired and too new events are reported and skipped; the rest is stored", async () => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "ages" }));
    const out = await put(group, "ages", [
      { timestamp: now - 15 * DAY, message: "too old" },
      { timestamp: now - 20 * HOUR, message: "kept 1" },
      { timestamp: now, message: "kept 2" },
      { timestamp: now + 3 * HOUR, message: "too new" },
    ]);
    expect(out.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
    const got = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: "ages", startFromHead: true }),
    );
    expect(got.events?.map((e) => e.message)).toEqual(["kept 1", "kept 2"]);

    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 1 }));
    const expired = await put(group, "ages", [
      { timestamp: now - 3 * DAY, message: "older than the retention" },
      { timestamp: now - HOUR, message: "kept 3" },
    ]);
    expect(expired.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 1 });
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: group }));
  });
});

describe("GetLogEvents", () => {
  const group = "/get";
  const base = now - HOUR;
  beforeAll(async () => {
    await groupWithStream(group);
    await put(
      group,
      "s1",
      Array.from({ length: 10 }, (_, i) => ({ timestamp: base + i * 1000, message: `event ${i}` })),
    );
  });

  it("startFromHead, limit and nextForwardToken page to the end, where the token comes back unchanged", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const out = await logs.send(
        new GetLogEventsCommand({
          logGroupName: group,
          logStreamName: "s1",
          startFromHead: true,
          limit: 4,
          nextToken: token,
        }),
      );
      for (const e of out.events ?? []) seen.push(e.message ?? "");
      if (out.nextForwardToken === token) break;
      token = out.nextForwardToken;
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `event ${i}`));
  });

  it("without startFromHead the latest events come; nextBackwardToken pages back", async () => {
    const last = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", limit: 3 }),
    );
    expect(last.events?.map((e) => e.message)).toEqual(["event 7", "event 8", "event 9"]);
    expect(last.events?.[0]).toMatchObject({ timestamp: base + 7000, ingestionTime: now });
    const earlier = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: "s1",
        limit: 3,
        nextToken: last.nextBackwardToken,
      }),
    );
    expect(earlier.events?.map((e) => e.message)).toEqual(["event 4", "event 5", "event 6"]);
  });

  it("startTime is inclusive, endTime exclusive", async () => {
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: group,
        logStreamName: "s1",
        startFromHead: true,
        startTime: base + 2000,
        endTime: base + 5000,
      }),
    );
    expect(out.events?.map((e) => e.message)).toEqual(["event 2", "event 3", "event 4"]);
  });

  it("errors: missing stream, bad token", async () => {
    expect(
      (await failure(logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: "none" }))))
        .name,
    ).toBe("ResourceNotFoundException");
    expect(
      (
        await failure(
          logs.send(
            new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", nextToken: "garbage" }),
          ),
        )
      ).name,
    ).toBe("InvalidParameterException");
  });
});

describe("FilterLogEvents", () => {
  const group = "/apigw/filter-access";
  const access = (i: number, status: number, origin: string, latencyMs: number) =>
    JSON.stringify({ requestId: `req-${i}`, status, origin, latencyMs, path: "/v1/infer" });

  beforeAll(async () => {
    await groupWithStream(group, "gw-1");
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "gw-2" }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: "other" }));
    await put(group, "gw-1", [
      { timestamp: now - 50_000, message: access(1, 200, "http://localhost:5173", 40) },
      { timestamp: now - 40_000, message: access(2, 403, "http://evil.com", 3) },
      { timestamp: now - 30_000, message: access(3, 403, "http://localhost:5173", 5) },
    ]);
    await put(group, "gw-2", [
      { timestamp: now - 45_000, message: access(4, 403, "http://evil.com", 250) },
      { timestamp: now - 35_000, message: access(5, 500, "http://evil.com", 900) },
    ]);
    await put(group, "other", [{ timestamp: now - 20_000, message: "ERROR plain text line" }]);
  });

  const filter = (input: Partial<ConstructorParameters<typeof FilterLogEventsCommand>[0]>) =>
    logs.send(new FilterLogEventsCommand({ logGroupName: group, ...input }));
  const ids = (events: Array<{ message?: string }> | undefined) =>
    (events ?? []).map((e) => (e.message?.startsWith("{") ? JSON.parse(e.message).requestId : e.message));

  it("a JSON pattern finds the matching access-log lines across streams, in time order", async () => {
    const out = await filter({ filterPattern: '{ $.status = 403 && $.origin = "http://evil.com" }' });
    expect(ids(out.events)).toEqual(["req-4", "req-2"]);
    expect(out.events?.[0]).toMatchObject({
      logStreamName: "gw-2",
      timestamp: now - 45_000,
      ingestionTime: now,
    });
    expect(out.events?.[0]?.eventId).toMatch(/^\d{56}$/);
    expect(out.searchedLogStreams).toEqual([]);
    expect(ids((await filter({ filterPattern: "{ $.latencyMs > 100 }" })).events)).toEqual([
      "req-4",
      "req-5",
    ]);
    expect(
      ids((await filter({ filterPattern: '{ $.origin = "*evil*" || $.status >= 500 }' })).events),
    ).toEqual(["req-4", "req-2", "req-5"]);
  });

  it("terms, stream selection, time range, no pattern", async () => {
    expect(ids((await filter({ filterPattern: "ERROR" })).events)).toEqual(["ERROR plain text line"]);
    expect(ids((await filter({})).events)).toHaveLength(6);
    expect(
      ids((await filter({ logStreamNames: ["gw-1"], filterPattern: "{ $.status = 403 }" })).events),
    ).toEqual(["req-2", "req-3"]);
    expect(
      ids(
        (await filter({ logStreamNamePrefix: "gw-", startTime: now - 40_000, endTime: now - 35_000 })).events,
      ),
    ).toEqual(["req-2", "req-5"]);
  });

  it("limit and nextToken page through; startFromHead=false pages from the latest", async () => {
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await filter({ logStreamNamePrefix: "gw-", limit: 2, nextToken });
      expect((out.events ?? []).length).toBeLessThanOrEqual(2);
      seen.push(...ids(out.events));
      nextToken = out.nextToken;
    } while (nextToken);
    expect(seen).toEqual(["req-1", "req-4", "req-2", "req-5", "req-3"]);
    const latest = await filter({ logStreamNamePrefix: "gw-", limit: 2, startFromHead: false });
    expect(ids(latest.events)).toEqual(["req-3", "req-5"]);
  });

  it("invalid patterns and conflicting stream selectors are InvalidParameterException", async () => {
    for (const filterPattern of ["{ $.status = 403", "{ status = 1 }", '"unterminated']) {
      const err = await failure(filter({ filterPattern }));
      expect(err.name, filterPattern).toBe("InvalidParameterException");
      expect(err.message).toMatch(/filter pattern/i);
    }
    expect((await failure(filter({ logStreamNames: ["gw-1"], logStreamNamePrefix: "gw" }))).name).toBe(
      "InvalidParameterException",
    );
    expect((await failure(logs.send(new FilterLogEventsCommand({ logGroupName: "/none" })))).name).toBe(
      "ResourceNotFoundException",
    );
  });
});

describe("retention is enforced", () => {
  it("events older than the retention disappear from reads and storedBytes as time passes", async () => {
    const group = "/retention/passing";
    await groupWithStream(group);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 1 }));
    await put(group, "s1", [
      { timestamp: now - 2 * HOUR, message: "first" },
      { timestamp: now - HOUR, message: "second" },
    ]);
    expect((await describeGroup(group))?.storedBytes).toBe(11);
    const saved = now;
    try {
      now += DAY - 3 * HOUR; // "first" is now 23 h old, "second" 22 h: both kept
      expect((await describeGroup(group))?.storedBytes).toBe(11);
      now += 90 * 60_000; // "first" 24.5 h old: gone; "second" 23.5 h
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1" }));
      expect(got.events?.map((e) => e.message)).toEqual(["second"]);
      const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: group }));
      expect(filtered.events?.map((e) => e.message)).toEqual(["second"]);
      expect((await describeGroup(group))?.storedBytes).toBe(6);
      now += DAY;
      expect((await describeGroup(group))?.storedBytes).toBe(0);
    } finally {
      now = saved;
    }
  });

  it("lowering the retention hides old events at once", async () => {
    const group = "/retention/lowered";
    await groupWithStream(group);
    await put(group, "s1", [
      { timestamp: now - 10 * DAY, message: "ten days old" },
      { timestamp: now - 10 * DAY + HOUR, message: "also old" },
    ]);
    await put(group, "s1", [{ timestamp: now - HOUR, message: "fresh" }]);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 30 }));
    let got = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", startFromHead: true }),
    );
    expect(got.events).toHaveLength(3);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 7 }));
    got = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: "s1", startFromHead: true }),
    );
    expect(got.events?.map((e) => e.message)).toEqual(["fresh"]);
    expect((await describeGroup(group))?.storedBytes).toBe(5);
  });
});

describe("metric filters", () => {
  const group = "/apigw/metric-access";
  beforeAll(() => groupWithStream(group));

  it("PutMetricFilter / DescribeMetricFilters / DeleteMetricFilter, metricFilterCount", async () => {
    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: group,
        filterName: "forbidden",
        filterPattern: "{ $.status = 403 }",
        metricTransformations: [
          {
            metricName: "Forbidden",
            metricNamespace: "TinyLlama/Gateway",
            metricValue: "1",
            defaultValue: 0,
          },
        ],
      }),
    );
    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: group,
        filterName: "latency",
        filterPattern: "{ $.latencyMs = * }",
        metricTransformations: [
          {
            metricName: "Latency",
            metricNamespace: "TinyLlama/Gateway",
            metricValue: "$.latencyMs",
            unit: "Milliseconds",
            dimensions: { Route: "$.path" },
          },
        ],
      }),
    );
    expect((await describeGroup(group))?.metricFilterCount).toBe(2);
    const described = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: group }));
    expect(described.metricFilters?.map((f) => f.filterName)).toEqual(["forbidden", "latency"]);
    expect(described.metricFilters?.[0]).toMatchObject({
      logGroupName: group,
      filterPattern: "{ $.status = 403 }",
      creationTime: now,
      metricTransformations: [
        { metricName: "Forbidden", metricNamespace: "TinyLlama/Gateway", metricValue: "1", defaultValue: 0 },
      ],
    });
    const byMetric = await logs.send(
      new DescribeMetricFiltersCommand({ metricName: "Latency", metricNamespace: "TinyLlama/Gateway" }),
    );
    expect(byMetric.metricFilters?.map((f) => f.filterName)).toEqual(["latency"]);

    const bad = (over: object) =>
      failure(
        logs.send(
          new PutMetricFilterCommand({
            logGroupName: group,
            filterName: "bad",
            filterPattern: "ERROR",
            metricTransformations: [{ metricName: "M", metricNamespace: "N", metricValue: "1" }],
            ...over,
          }),
        ),
      );
    expect((await bad({ filterPattern: "{ $.x = " })).name).toBe("InvalidParameterException");
    expect(
      (await bad({ metricTransformations: [{ metricName: "M", metricNamespace: "N", metricValue: "abc" }] }))
        .name,
    ).toBe("InvalidParameterException");
    expect((await bad({ logGroupName: "/missing" })).name).toBe("ResourceNotFoundException");

    await logs.send(
      new PutMetricFilterCommand({
        logGroupName: group,
        filterName: "temp",
        filterPattern: "",
        metricTransformations: [{ metricName: "All", metricNamespace: "N", metricValue: "1" }],
      }),
    );
    await logs.send(new DeleteMetricFilterCommand({ logGroupName: group, filterName: "temp" }));
    expect(
      (await failure(logs.send(new DeleteMetricFilterCommand({ logGroupName: group, filterName: "temp" }))))
        .name,
    ).toBe("ResourceNotFoundException");
  });

  it("matching events become metric data through putMetricData; the others publish defaultValue", async () => {
    await fetch(`${emulator.url}/_emulator/logs/metric-data`, { method: "DELETE" });
    const line = (status: number, latencyMs: number) =>
      JSON.stringify({ requestId: "r", status, origin: "http://evil.com", latencyMs, path: "/v1/infer" });
    await put(group, "s1", [
      { timestamp: now - 3000, message: line(403, 12) },
      { timestamp: now - 2000, message: line(200, 80) },
      { timestamp: now - 1000, message: line(403, 7) },
      { timestamp: now, message: "not json" },
    ]);
    const published = await publishedMetrics();
    const forbidden = published.filter((p) => p.datum.MetricName === "Forbidden");
    expect(forbidden.map((p) => p.datum.Value)).toEqual([1, 0, 1, 0]);
    expect(forbidden[0]).toMatchObject({
      namespace: "TinyLlama/Gateway",
      datum: { Timestamp: now - 3000, Unit: "None" },
    });
    const latency = published.filter((p) => p.datum.MetricName === "Latency");
    expect(latency.map((p) => p.datum.Value)).toEqual([12, 80, 7]);
    expect(latency[0]?.datum).toMatchObject({
      Unit: "Milliseconds",
      Dimensions: [{ Name: "Route", Value: "/v1/infer" }],
    });

    // Once CloudWatch serves metrics (ListMetrics answers 200), the same numbers are readable there;
    // until then the putMetricData port is a no-op and the route above is the evidence.
    const probe = await fetch(emulator.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "GraniteServiceVersion20100801.ListMetrics",
      },
      body: "{}",
    });
    if (probe.status !== 200) return;
    const cw = new CloudWatchClient({
      endpoint: emulator.url,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
    });
    try {
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "TinyLlama/Gateway",
          MetricName: "Forbidden",
          StartTime: new Date(now - HOUR),
          EndTime: new Date(now + HOUR),
          Period: 3600,
          Statistics: ["Sum", "SampleCount"],
        }),
      );
      const sum = (stats.Datapoints ?? []).reduce((n, d) => n + (d.Sum ?? 0), 0);
      expect(sum).toBe(2);
    } finally {
      cw.destroy();
    }
  });
});

describe("persistence", () => {
  it("groups, retention, streams, events, filters and tags survive a restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "logs-persist-"));
    const first = await startEmulator({ port: 0, clock, dataDir });
    const c1 = client(first.url);
    await c1.send(new CreateLogGroupCommand({ logGroupName: GROUP, tags: { app: "tinyllama" } }));
    await c1.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 30 }));
    await c1.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: "gw" }));
    await c1.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: "gw",
        logEvents: [
          { timestamp: now - 1000, message: '{"status":403}' },
          { timestamp: now, message: '{"status":200}' },
        ],
      }),
    );
    await c1.send(
      new PutMetricFilterCommand({
        logGroupName: GROUP,
        filterName: "f",
        filterPattern: "{ $.status = 403 }",
        metricTransformations: [{ metricName: "Forbidden", metricNamespace: "TL", metricValue: "1" }],
      }),
    );
    c1.destroy();
    await first.close();

    const second = await startEmulator({ port: 0, clock, dataDir });
    const c2 = client(second.url);
    try {
      const g = (await c2.send(new DescribeLogGroupsCommand({}))).logGroups?.[0];
      expect(g).toMatchObject({
        logGroupName: GROUP,
        retentionInDays: 30,
        metricFilterCount: 1,
        storedBytes: 28,
      });
      const got = await c2.send(
        new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: "gw", startFromHead: true }),
      );
      expect(got.events?.map((e) => e.message)).toEqual(['{"status":403}', '{"status":200}']);
      const tags = await c2.send(new ListTagsLogGroupCommand({ logGroupName: GROUP }));
      expect(tags.tags).toEqual({ app: "tinyllama" });
      // New events after the restart get fresh ids, after the old ones.
      await c2.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: "gw",
          logEvents: [{ timestamp: now, message: '{"status":403}' }],
        }),
      );
      const all = await c2.send(
        new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: "{ $.status = 403 }" }),
      );
      expect(all.events).toHaveLength(2);
      expect(new Set(all.events?.map((e) => e.eventId)).size).toBe(2);
    } finally {
      c2.destroy();
      await second.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The AWS CLI, an independent client (skipped when `aws` is not on PATH).

const cli = findAwsCli();

describe.skipIf(!cli)(`AWS CLI (${cli ?? "not on PATH"})`, () => {
  const { env, remove } = isolatedAwsEnv("logs-cli-home-");
  const aws = (...args: string[]) =>
    runAwsCli(
      cli as string,
      ["--endpoint-url", emulator.url, "--output", "json", "logs", ...args],
      env,
      30_000,
    );

  afterAll(remove);

  it("create-log-group, put-retention-policy, put-log-events, filter-log-events", async () => {
    const group = "/cli/tinyllama-access";
    expect(await aws("create-log-group", "--log-group-name", group)).toMatchObject({ code: 0 });
    expect(
      await aws("put-retention-policy", "--log-group-name", group, "--retention-in-days", "30"),
    ).toMatchObject({
      code: 0,
    });
    const badRetention = await aws(
      "put-retention-policy",
      "--log-group-name",
      group,
      "--retention-in-days",
      "2",
    );
    expect(badRetention.code).not.toBe(0);
    expect(badRetention.stderr).toContain("InvalidParameterException");
    expect(
      await aws("create-log-stream", "--log-group-name", group, "--log-stream-name", "gw"),
    ).toMatchObject({
      code: 0,
    });
    const events = JSON.stringify([
      { timestamp: now - 2000, message: '{"status":403,"origin":"http://evil.com"}' },
      { timestamp: now - 1000, message: '{"status":200,"origin":"http://localhost"}' },
    ]);
    const putOut = await aws(
      "put-log-events",
      "--log-group-name",
      group,
      "--log-stream-name",
      "gw",
      "--log-events",
      events,
    );
    expect(putOut.code, putOut.stderr).toBe(0);
    const found = await aws(
      "filter-log-events",
      "--log-group-name",
      group,
      "--filter-pattern",
      "{ $.status = 403 }",
    );
    expect(found.code, found.stderr).toBe(0);
    const parsed = JSON.parse(found.stdout) as { events: Array<{ message: string }> };
    expect(parsed.events.map((e) => JSON.parse(e.message).origin)).toEqual(["http://evil.com"]);
    const described = JSON.parse((await aws("describe-log-groups", "--log-group-name-prefix", group)).stdout);
    expect(described.logGroups[0]).toMatchObject({ logGroupName: group, retentionInDays: 30 });
  });
});
