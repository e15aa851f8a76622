/**
 * The CloudWatch emulator through the real `@aws-sdk/client-cloudwatch`, over AWS JSON 1.0 (the
 * client's default, query-compatible) and over the query protocol (`AwsQueryProtocol`, as older
 * clients send): metrics and their statistics, alarms and their history, actions, dashboards,
 * tags, AWS's error codes and statuses; then the scheduler with a 10-s period, SQS's metrics
 * arriving through the port, persistence across a restart, and the AWS CLI.
 *
 * Alarm rules are tested as tables in cloudwatch-evaluate.test.ts; here evaluation is driven by
 * the control route `POST /_emulator/cloudwatch/evaluate`, except for one real-timer test.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DeleteDashboardsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  DescribeAlarmsForMetricCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  GetDashboardCommand,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  ListDashboardsCommand,
  ListMetricsCommand,
  ListTagsForResourceCommand,
  type MetricDatum,
  PutDashboardCommand,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AwsQueryProtocol } from "@aws-sdk/core/protocols";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";
import { findAwsCli, isolatedAwsEnv, runAwsCli } from "../helpers/aws-cli.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/**
 * PutMetricData has the requestCompression trait: the SDK gzips bodies over 10 KiB
 * (`Content-Encoding: gzip`). Clients here send them plain unless `compress` is set, so the
 * compressed path is tested on its own below.
 */
function client(endpoint: string, protocol: "json" | "query", compress = false): CloudWatchClient {
  const cw = new CloudWatchClient({
    endpoint,
    region: "us-east-1",
    credentials,
    maxAttempts: 1,
    disableRequestCompression: !compress,
    ...(protocol === "query" ? { protocol: AwsQueryProtocol } : {}),
  });
  const expected = protocol === "query" ? "application/x-www-form-urlencoded" : "application/x-amz-json-1.0";
  cw.middlewareStack.add(
    (next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      const type = headers["content-type"] ?? headers["Content-Type"] ?? "";
      if (!type.startsWith(expected)) throw new Error(`expected a ${protocol} request, the SDK sent ${type}`);
      return next(args);
    },
    { step: "finalizeRequest", name: "protocolGuard" },
  );
  return cw;
}

/** The error an SDK call fails with; AWS's shape name, query code and status. */
async function failure(p: Promise<unknown>): Promise<{
  name: string;
  code: string;
  status: number;
  message: string;
  validation?: Array<{ DataPath?: string }>;
}> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as
    | {
        name: string;
        Code?: string;
        message: string;
        $metadata?: { httpStatusCode?: number };
        dashboardValidationMessages?: Array<{ DataPath?: string }>;
      }
    | undefined;
  if (!err) throw new Error("expected the call to fail");
  return {
    name: err.name,
    code: err.Code ?? "",
    status: err.$metadata?.httpStatusCode ?? 0,
    message: err.message,
    validation: err.dashboardValidationMessages,
  };
}

const PERIOD_MS = 60_000;
/** The middle of the last completed minute: evaluation at "now" counts it. */
const lastMinute = () => new Date(Math.floor(Date.now() / PERIOD_MS) * PERIOD_MS - 30_000);

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ port: 0, settings: { sqsMetricsIntervalMs: 200 } });
});
afterAll(async () => {
  await emu.close();
});

async function evaluateNow(url: string): Promise<void> {
  const res = await fetch(`${url}/_emulator/cloudwatch/evaluate`, { method: "POST" });
  expect(res.status).toBe(200);
}

for (const protocol of ["json", "query"] as const) {
  describe(`CloudWatch over ${protocol}`, () => {
    let cw: CloudWatchClient;
    const ns = `Test/${protocol}/${randomUUID().slice(0, 8)}`;
    const dims = [{ Name: "Queue", Value: "jobs.fifo" }];
    beforeAll(() => {
      cw = client(emu.url, protocol);
    });
    afterAll(() => cw.destroy());

    describe("metrics", () => {
      it("PutMetricData + GetMetricStatistics: statistics per period, aligned to period boundaries", async () => {
        const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000; // an hour ago, on the hour
        const at = (s: number) => new Date(base + s * 1000);
        await cw.send(
          new PutMetricDataCommand({
            Namespace: ns,
            MetricData: [
              { MetricName: "Latency", Dimensions: dims, Value: 10, Unit: "Milliseconds", Timestamp: at(5) },
              { MetricName: "Latency", Dimensions: dims, Value: 30, Unit: "Milliseconds", Timestamp: at(50) },
              {
                MetricName: "Latency",
                Dimensions: dims,
                Values: [1, 2, 3],
                Counts: [1, 1, 2],
                Unit: "Milliseconds",
                Timestamp: at(65),
              },
              {
                MetricName: "Latency",
                Dimensions: dims,
                StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 15 },
                Unit: "Milliseconds",
                Timestamp: at(130),
              },
              { MetricName: "Latency", Dimensions: dims, Value: 1000, Unit: "Seconds", Timestamp: at(10) },
            ],
          }),
        );
        const out = await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Latency",
            Dimensions: dims,
            StartTime: at(20), // rounded down to the period: the datum at +5 s counts
            EndTime: at(180),
            Period: 60,
            Statistics: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"],
            Unit: "Milliseconds",
          }),
        );
        expect(out.Label).toBe("Latency");
        const points = (out.Datapoints ?? []).sort(
          (a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0),
        );
        expect(points).toEqual([
          {
            Timestamp: at(0),
            SampleCount: 2,
            Average: 20,
            Sum: 40,
            Minimum: 10,
            Maximum: 30,
            Unit: "Milliseconds",
          },
          {
            Timestamp: at(60),
            SampleCount: 4,
            Average: 2.25,
            Sum: 9,
            Minimum: 1,
            Maximum: 3,
            Unit: "Milliseconds",
          },
          {
            Timestamp: at(120),
            SampleCount: 4,
            Average: 10,
            Sum: 40,
            Minimum: 5,
            Maximum: 15,
            Unit: "Milliseconds",
          },
        ]);
        const percentiles = await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Latency",
            Dimensions: dims,
            StartTime: at(60),
            EndTime: at(120),
            Period: 60,
            ExtendedStatistics: ["p50", "p99"],
          }),
        );
        // Nearest rank over 1, 2, 3, 3.
        expect(percentiles.Datapoints?.[0]?.ExtendedStatistics).toEqual({ p50: 2, p99: 3 });
        // Without the Unit filter the Seconds datum joins the first minute.
        const all = await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: ns,
            MetricName: "Latency",
            Dimensions: dims,
            StartTime: at(0),
            EndTime: at(60),
            Period: 60,
            Statistics: ["SampleCount"],
          }),
        );
        expect(all.Datapoints?.[0]?.SampleCount).toBe(3);
      });

      it("GetMetricData: newest first, ScanBy, Label, ReturnData; math expressions refused clearly", async () => {
        const base = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
        await cw.send(
          new PutMetricDataCommand({
            Namespace: ns,
            MetricData: [0, 1, 2].map((i) => ({
              MetricName: "Jobs",
              Value: i + 1,
              Timestamp: new Date(base + i * 60_000 + 1000),
            })),
          }),
        );
        const query = (Id: string, Stat: string, extra = {}) => ({
          Id,
          MetricStat: { Metric: { Namespace: ns, MetricName: "Jobs" }, Period: 60, Stat },
          ...extra,
        });
        const range = { StartTime: new Date(base), EndTime: new Date(base + 5 * 60_000) };
        const out = await cw.send(
          new GetMetricDataCommand({
            ...range,
            MetricDataQueries: [
              query("sum", "Sum"),
              query("avg", "Average", { Label: "mean", ReturnData: false }),
            ],
          }),
        );
        expect(out.MetricDataResults).toEqual([
          {
            Id: "sum",
            Label: "Jobs",
            Timestamps: [2, 1, 0].map((i) => new Date(base + i * 60_000)),
            Values: [3, 2, 1],
            StatusCode: "Complete",
            Messages: [],
          },
        ]);
        const asc = await cw.send(
          new GetMetricDataCommand({
            ...range,
            ScanBy: "TimestampAscending",
            MetricDataQueries: [query("p", "p99", { Label: "p99 jobs" })],
          }),
        );
        expect(asc.MetricDataResults?.[0]).toMatchObject({ Label: "p99 jobs", Values: [1, 2, 3] });
        const err = await failure(
          cw.send(
            new GetMetricDataCommand({
              ...range,
              MetricDataQueries: [{ Id: "e1", Expression: "SUM(METRICS())" }],
            }),
          ),
        );
        expect(err).toMatchObject({
          name: "InvalidParameterValueException",
          code: "InvalidParameterValue",
          status: 400,
        });
        expect(err.message).toMatch(/metric math .* not supported by this emulator/);
      });

      it("ListMetrics: Namespace, MetricName, Dimensions filters, RecentlyActive and NextToken", async () => {
        const listNs = `${ns}/list`;
        const data: MetricDatum[] = Array.from({ length: 501 }, (_, i) => ({
          MetricName: `m${String(i).padStart(3, "0")}`,
          Dimensions: [{ Name: "Shard", Value: String(i % 2) }],
          Value: i,
        }));
        await cw.send(new PutMetricDataCommand({ Namespace: listNs, MetricData: data }));
        await cw.send(
          new PutMetricDataCommand({
            Namespace: listNs,
            MetricData: [{ MetricName: "old", Value: 1, Timestamp: new Date(Date.now() - 5 * 3_600_000) }],
          }),
        );
        const first = await cw.send(new ListMetricsCommand({ Namespace: listNs }));
        expect(first.Metrics).toHaveLength(500);
        expect(first.NextToken).toBeTruthy();
        const second = await cw.send(
          new ListMetricsCommand({ Namespace: listNs, NextToken: first.NextToken }),
        );
        expect(second.Metrics).toHaveLength(2);
        expect(second.NextToken).toBeUndefined();
        const one = await cw.send(new ListMetricsCommand({ Namespace: listNs, MetricName: "m007" }));
        expect(one.Metrics).toEqual([
          { Namespace: listNs, MetricName: "m007", Dimensions: [{ Name: "Shard", Value: "1" }] },
        ]);
        const shard = await cw.send(
          new ListMetricsCommand({
            Namespace: listNs,
            Dimensions: [{ Name: "Shard", Value: "0" }],
            RecentlyActive: "PT3H",
          }),
        );
        expect(shard.Metrics).toHaveLength(251);
        const recent = await cw.send(
          new ListMetricsCommand({ Namespace: listNs, RecentlyActive: "PT3H", MetricName: "old" }),
        );
        expect(recent.Metrics).toEqual([]);
      });

      it("PutMetricData refuses bad input with AWS's codes", async () => {
        const put = (Namespace: string | undefined, MetricData: MetricDatum[]) =>
          failure(cw.send(new PutMetricDataCommand({ Namespace, MetricData } as never)));
        const invalid = {
          name: "InvalidParameterValueException",
          code: "InvalidParameterValue",
          status: 400,
        };
        expect(await put("AWS/EC2", [{ MetricName: "x", Value: 1 }])).toMatchObject(invalid);
        expect(await put(undefined, [{ MetricName: "x", Value: 1 }])).toMatchObject({
          name: "MissingRequiredParameterException",
          code: "MissingParameter",
          status: 400,
        });
        expect(
          await put(ns, [
            {
              MetricName: "x",
              Value: 1,
              StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 },
            },
          ]),
        ).toMatchObject({
          name: "InvalidParameterCombinationException",
          code: "InvalidParameterCombination",
          status: 400,
        });
        expect(await put(ns, [{ MetricName: "x", Value: Number.NaN }])).toMatchObject(invalid);
        expect(await put(ns, [{ MetricName: "x", Value: 1, StorageResolution: 5 }])).toMatchObject(invalid);
        expect(await put(ns, [{ MetricName: "x", Values: [1, 2], Counts: [1] }])).toMatchObject(invalid);
        expect(await put(ns, [{ MetricName: "x", Value: 1, Unit: "Furlongs" as never }])).toMatchObject(
          invalid,
        );
        const old = await put(ns, [
          { MetricName: "x", Value: 1, Timestamp: new Date(Date.now() - 15 * 86_400_000) },
        ]);
        expect(old).toMatchObject(invalid);
        expect(old.message).toMatch(/two weeks in the past/);
        expect(
          await put(ns, [{ MetricName: "x", Value: 1, Timestamp: new Date(Date.now() + 3 * 3_600_000) }]),
        ).toMatchObject(invalid);
        const tooMany = Array.from({ length: 1001 }, () => ({ MetricName: "x", Value: 1 }));
        expect(await put(ns, tooMany)).toMatchObject(invalid);
        const dims31 = Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: "v" }));
        expect(await put(ns, [{ MetricName: "x", Value: 1, Dimensions: dims31 }])).toMatchObject(invalid);
        const stats = await failure(
          cw.send(
            new GetMetricStatisticsCommand({
              Namespace: ns,
              MetricName: "x",
              StartTime: new Date(Date.now() - 86_400_000 * 2),
              EndTime: new Date(),
              Period: 60,
              Statistics: ["Sum"],
            }),
          ),
        );
        expect(stats).toMatchObject({ name: "InvalidParameterCombinationException", status: 400 });
        expect(stats.message).toMatch(/exceeds the limit of 1440/);
      });
    });

    describe("alarms", () => {
      const topic = "arn:aws:sns:us-east-1:000000000000:cw-test-no-such-topic";
      const alarmInput = (
        AlarmName: string,
        over: Partial<PutMetricAlarmCommandInput> = {},
      ): PutMetricAlarmCommandInput => ({
        AlarmName,
        AlarmDescription: "queue backlog",
        Namespace: ns,
        MetricName: "Backlog",
        Dimensions: dims,
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 1,
        Threshold: 5,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
        AlarmActions: [topic],
        OKActions: [topic],
        ...over,
      });
      const describeOne = async (name: string) =>
        (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
      const historyOf = async (name: string) =>
        (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: name }))).AlarmHistoryItems ?? [];

      it("a new alarm is INSUFFICIENT_DATA; evaluation moves it to ALARM and back to OK, with history and actions", async () => {
        const name = `${protocol}-backlog-${randomUUID().slice(0, 6)}`;
        await cw.send(new PutMetricAlarmCommand(alarmInput(name)));
        const created = await describeOne(name);
        expect(created).toMatchObject({
          AlarmName: name,
          AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${name}`,
          StateValue: "INSUFFICIENT_DATA",
          StateReason: "Unchecked: Initial alarm creation",
          ActionsEnabled: true,
          Period: 60,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 1,
          TreatMissingData: "notBreaching",
        });
        expect(created?.AlarmConfigurationUpdatedTimestamp).toBeInstanceOf(Date);

        await cw.send(
          new PutMetricDataCommand({
            Namespace: ns,
            MetricData: [{ MetricName: "Backlog", Dimensions: dims, Value: 9, Timestamp: lastMinute() }],
          }),
        );
        await evaluateNow(emu.url);
        const alarmed = await describeOne(name);
        expect(alarmed?.StateValue).toBe("ALARM");
        expect(alarmed?.StateReason).toMatch(/^Threshold Crossed: 1 out of the last 2 datapoints \[9\.0 \(/);
        const data = JSON.parse(alarmed?.StateReasonData ?? "{}");
        expect(data).toMatchObject({
          version: "1.0",
          statistic: "Maximum",
          period: 60,
          threshold: 5,
          recentDatapoints: [9],
        });
        expect(alarmed?.StateUpdatedTimestamp).toBeInstanceOf(Date);

        const items = await historyOf(name);
        expect(items.map((i) => i.HistoryItemType)).toEqual(["Action", "StateUpdate", "ConfigurationUpdate"]);
        expect(items[1]?.HistorySummary).toBe("Alarm updated from INSUFFICIENT_DATA to ALARM");
        expect(JSON.parse(items[1]?.HistoryData ?? "{}")).toMatchObject({
          version: "1.0",
          oldState: { stateValue: "INSUFFICIENT_DATA" },
          newState: { stateValue: "ALARM" },
        });
        // The topic does not exist: the failure is recorded, the alarm still changed state.
        expect(items[0]?.HistorySummary).toMatch(
          /^Failed to execute action arn:aws:sns:.*cw-test-no-such-topic/,
        );
        expect(JSON.parse(items[0]?.HistoryData ?? "{}")).toMatchObject({
          actionState: "Failed",
          notificationResource: topic,
        });
        expect(items[2]?.HistorySummary).toBe(`Alarm "${name}" created`);

        // SetAlarmState: changes the state and runs the OK actions.
        await cw.send(
          new SetAlarmStateCommand({
            AlarmName: name,
            StateValue: "OK",
            StateReason: "manual",
            StateReasonData: "{}",
          }),
        );
        expect((await describeOne(name))?.StateValue).toBe("OK");
        const after = await historyOf(name);
        expect(after.slice(0, 2).map((i) => i.HistoryItemType)).toEqual(["Action", "StateUpdate"]);
        // ... and the next evaluation changes it back, as on AWS.
        await evaluateNow(emu.url);
        expect((await describeOne(name))?.StateValue).toBe("ALARM");

        const forMetric = await cw.send(
          new DescribeAlarmsForMetricCommand({
            Namespace: ns,
            MetricName: "Backlog",
            Dimensions: dims,
            Statistic: "Maximum",
          }),
        );
        expect(forMetric.MetricAlarms?.map((a) => a.AlarmName)).toContain(name);
        const stateUpdates = await cw.send(
          new DescribeAlarmHistoryCommand({
            AlarmName: name,
            HistoryItemType: "StateUpdate",
            ScanBy: "TimestampAscending",
          }),
        );
        expect(stateUpdates.AlarmHistoryItems?.map((i) => i.HistorySummary)).toEqual([
          "Alarm updated from INSUFFICIENT_DATA to ALARM",
          "Alarm updated from ALARM to OK",
          "Alarm updated from OK to ALARM",
        ]);
      });

      it("DisableAlarmActions stops actions; EnableAlarmActions resumes them", async () => {
        const name = `${protocol}-quiet-${randomUUID().slice(0, 6)}`;
        await cw.send(new PutMetricAlarmCommand(alarmInput(name)));
        await cw.send(new DisableAlarmActionsCommand({ AlarmNames: [name] }));
        expect((await describeOne(name))?.ActionsEnabled).toBe(false);
        await cw.send(
          new SetAlarmStateCommand({ AlarmName: name, StateValue: "ALARM", StateReason: "test" }),
        );
        expect((await historyOf(name)).filter((i) => i.HistoryItemType === "Action")).toHaveLength(0);
        await cw.send(new EnableAlarmActionsCommand({ AlarmNames: [name] }));
        await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: "OK", StateReason: "test" }));
        expect((await historyOf(name)).filter((i) => i.HistoryItemType === "Action")).toHaveLength(1);
      });

      it("DescribeAlarms filters and pages; DeleteAlarms; tags on alarm ARNs", async () => {
        const prefix = `${protocol}-list-${randomUUID().slice(0, 6)}`;
        for (const i of [1, 2, 3]) {
          await cw.send(
            new PutMetricAlarmCommand(
              alarmInput(
                `${prefix}-${i}`,
                i === 3 ? { AlarmActions: [], OKActions: [], Tags: [{ Key: "team", Value: "ml" }] } : {},
              ),
            ),
          );
        }
        await cw.send(
          new SetAlarmStateCommand({ AlarmName: `${prefix}-2`, StateValue: "ALARM", StateReason: "test" }),
        );
        const page1 = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 2 }));
        expect(page1.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${prefix}-1`, `${prefix}-2`]);
        const page2 = await cw.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, MaxRecords: 2, NextToken: page1.NextToken }),
        );
        expect(page2.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${prefix}-3`]);
        expect(page2.NextToken).toBeUndefined();
        const alarming = await cw.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: "ALARM" }),
        );
        expect(alarming.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${prefix}-2`]);
        const byAction = await cw.send(
          new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, ActionPrefix: "arn:aws:sns:" }),
        );
        expect(byAction.MetricAlarms).toHaveLength(2);

        const arn = `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${prefix}-3`;
        expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([
          { Key: "team", Value: "ml" },
        ]);
        await cw.send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: "env", Value: "local" }] }));
        await cw.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ["team"] }));
        expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags).toEqual([
          { Key: "env", Value: "local" },
        ]);
        expect(
          await failure(cw.send(new ListTagsForResourceCommand({ ResourceARN: `${arn}-nope` }))),
        ).toMatchObject({
          name: "ResourceNotFoundException",
          status: 404,
        });

        await cw.send(new DeleteAlarmsCommand({ AlarmNames: [`${prefix}-1`, `${prefix}-2`] }));
        const left = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix }));
        expect(left.MetricAlarms?.map((a) => a.AlarmName)).toEqual([`${prefix}-3`]);
      });

      it("metric math alarms are stored, not evaluated, and say so", async () => {
        const name = `${protocol}-math-${randomUUID().slice(0, 6)}`;
        await cw.send(
          new PutMetricAlarmCommand({
            AlarmName: name,
            EvaluationPeriods: 1,
            Threshold: 1,
            ComparisonOperator: "GreaterThanThreshold",
            Metrics: [
              {
                Id: "m1",
                MetricStat: { Metric: { Namespace: ns, MetricName: "Backlog" }, Period: 60, Stat: "Sum" },
                ReturnData: false,
              },
              { Id: "e1", Expression: "m1 * 2", ReturnData: true },
            ],
          }),
        );
        await evaluateNow(emu.url);
        const alarm = await describeOne(name);
        expect(alarm?.StateValue).toBe("INSUFFICIENT_DATA");
        expect(alarm?.StateReason).toMatch(/metric math alarms .* not evaluated by this emulator/);
        expect(alarm?.Metrics).toHaveLength(2);
      });

      it("PutMetricAlarm and SetAlarmState refuse bad input with AWS's codes", async () => {
        const invalid = {
          name: "InvalidParameterValueException",
          code: "InvalidParameterValue",
          status: 400,
        };
        const put = (over: Partial<PutMetricAlarmCommandInput>) =>
          failure(cw.send(new PutMetricAlarmCommand(alarmInput(`${protocol}-bad`, over))));
        expect(await put({ Period: 15 })).toMatchObject(invalid);
        expect(await put({ DatapointsToAlarm: 3 })).toMatchObject(invalid);
        expect(await put({ TreatMissingData: "sometimes" })).toMatchObject(invalid);
        const band = await put({ ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" });
        expect(band).toMatchObject(invalid);
        expect(band.message).toMatch(/anomaly detection band/);
        expect(await put({ ExtendedStatistic: "p99" })).toMatchObject({
          name: "InvalidParameterCombinationException",
          code: "InvalidParameterCombination",
        });
        expect(await put({ Period: 60, EvaluationPeriods: 1441 })).toMatchObject(invalid);
        expect(await put({ AlarmName: undefined })).toMatchObject({
          name: "MissingRequiredParameterException",
          code: "MissingParameter",
        });
        expect(
          await failure(
            cw.send(
              new SetAlarmStateCommand({ AlarmName: "no-such-alarm", StateValue: "OK", StateReason: "x" }),
            ),
          ),
        ).toMatchObject({ name: "ResourceNotFound", code: "ResourceNotFound", status: 404 });
        const name = `${protocol}-json-${randomUUID().slice(0, 6)}`;
        await cw.send(new PutMetricAlarmCommand(alarmInput(name)));
        expect(
          await failure(
            cw.send(
              new SetAlarmStateCommand({
                AlarmName: name,
                StateValue: "OK",
                StateReason: "x",
                StateReasonData: "{nope",
              }),
            ),
          ),
        ).toMatchObject({ name: "InvalidFormatFault", code: "InvalidFormat", status: 400 });
      });
    });

    describe("dashboards", () => {
      const body = JSON.stringify({
        widgets: [
          {
            type: "metric",
            x: 0,
            y: 0,
            width: 12,
            height: 6,
            properties: { metrics: [[ns, "Backlog"]], region: "us-east-1" },
          },
          { type: "text", x: 12, y: 0, width: 12, height: 2, properties: { markdown: "# TinyLlama" } },
        ],
      });
      it("Put, Get, List, Delete, and tags on dashboard ARNs", async () => {
        const name = `${protocol}-dash-${randomUUID().slice(0, 6)}`;
        const put = await cw.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: body }));
        expect(put.DashboardValidationMessages).toEqual([]);
        const got = await cw.send(new GetDashboardCommand({ DashboardName: name }));
        expect(got).toMatchObject({
          DashboardName: name,
          DashboardBody: body,
          DashboardArn: `arn:aws:cloudwatch::000000000000:dashboard/${name}`,
        });
        const list = await cw.send(new ListDashboardsCommand({ DashboardNamePrefix: `${protocol}-dash-` }));
        const entry = list.DashboardEntries?.find((e) => e.DashboardName === name);
        expect(entry?.Size).toBe(Buffer.byteLength(body));
        expect(entry?.LastModified).toBeInstanceOf(Date);
        await cw.send(
          new TagResourceCommand({ ResourceARN: got.DashboardArn, Tags: [{ Key: "k", Value: "v" }] }),
        );
        expect(
          (await cw.send(new ListTagsForResourceCommand({ ResourceARN: got.DashboardArn }))).Tags,
        ).toEqual([{ Key: "k", Value: "v" }]);
        await cw.send(new DeleteDashboardsCommand({ DashboardNames: [name] }));
        // DashboardNotFoundError and ResourceNotFound share the query code ResourceNotFound, which the
        // SDK resolves to ResourceNotFound (as it would against AWS).
        const missing = await failure(cw.send(new GetDashboardCommand({ DashboardName: name })));
        expect(missing).toMatchObject({ code: "ResourceNotFound", status: 404 });
        expect(missing.name).toMatch(/^(ResourceNotFound|DashboardNotFoundError)$/);
        expect(await failure(cw.send(new DeleteDashboardsCommand({ DashboardNames: [name] })))).toMatchObject(
          {
            code: "ResourceNotFound",
            status: 404,
          },
        );
      });

      it("an invalid body is InvalidParameterInput naming each problem", async () => {
        const bad = JSON.stringify({
          widgets: [{ type: "metric", x: 30, y: 0, width: 6, height: 6, properties: {} }],
        });
        const err = await failure(
          cw.send(new PutDashboardCommand({ DashboardName: `${protocol}-bad`, DashboardBody: bad })),
        );
        expect(err).toMatchObject({
          name: "DashboardInvalidInputError",
          code: "InvalidParameterInput",
          status: 400,
        });
        expect(err.message).toContain("/widgets/0/x");
        expect(
          err.validation?.[0]?.DataPath,
          "the structured validation messages reach the client",
        ).toContain("/widgets/0/x");
        expect(
          await failure(
            cw.send(new PutDashboardCommand({ DashboardName: `${protocol}-bad`, DashboardBody: "not json" })),
          ),
        ).toMatchObject({ code: "InvalidParameterInput" });
        expect(
          await failure(
            cw.send(new PutDashboardCommand({ DashboardName: "bad name!", DashboardBody: body })),
          ),
        ).toMatchObject({
          code: "InvalidParameterValue",
        });
      });
    });
  });
}

describe("request compression", () => {
  // The SDK compresses every PutMetricData body over 10 KiB (e.g. ~100 datums); AWS accepts them.
  it("PutMetricData with a gzip body", async () => {
    for (const protocol of ["json", "query"] as const) {
      const cw = client(emu.url, protocol, true);
      const data = Array.from({ length: 200 }, (_, i) => ({ MetricName: `gz${i}`, Value: i }));
      await cw.send(new PutMetricDataCommand({ Namespace: `Test/gzip/${protocol}`, MetricData: data }));
      const names = new Set<string>();
      let NextToken: string | undefined;
      do {
        const page = await cw.send(new ListMetricsCommand({ Namespace: `Test/gzip/${protocol}`, NextToken }));
        for (const m of page.Metrics ?? []) names.add(m.MetricName ?? "");
        NextToken = page.NextToken;
      } while (NextToken);
      expect(names.size, "every datum of the compressed body was stored").toBe(200);
      cw.destroy();
    }
  });
});

describe("scheduler", () => {
  it("evaluates a 10-s alarm on its period boundaries: INSUFFICIENT_DATA -> ALARM -> OK", {
    timeout: 40_000,
  }, async () => {
    const cw = client(emu.url, "json");
    const name = `timer-${randomUUID().slice(0, 6)}`;
    const ns = `Test/timer/${name}`;
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: ns,
        MetricName: "Depth",
        Statistic: "Maximum",
        Period: 10,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
      }),
    );
    await cw.send(
      new PutMetricDataCommand({ Namespace: ns, MetricData: [{ MetricName: "Depth", Value: 3 }] }),
    );
    const waitFor = async (state: string) => {
      const deadline = Date.now() + 12_000;
      for (;;) {
        const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
        if (alarm?.StateValue === state) return alarm;
        if (Date.now() > deadline) throw new Error(`alarm stayed ${alarm?.StateValue}, expected ${state}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    expect((await waitFor("ALARM")).StateReason).toMatch(/3\.0/);
    // The next period has no data, treated as not breaching.
    expect((await waitFor("OK")).StateReason).toMatch(/treated as \[NonBreaching\]/);
    cw.destroy();
  });
});

describe("SQS metrics through the putMetricData port", () => {
  it("AWS/SQS metrics of a FIFO queue arrive with the .fifo QueueName", async () => {
    const sqs = new SQSClient({ endpoint: emu.url, region: "us-east-1", credentials, maxAttempts: 1 });
    const cw = client(emu.url, "json");
    const queue = `cw-dlq-${randomUUID().slice(0, 6)}.fifo`;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: queue, Attributes: { FifoQueue: "true" } }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: "job",
        MessageGroupId: "g",
        MessageDeduplicationId: "d",
      }),
    );
    const dims = [{ Name: "QueueName", Value: queue }];
    const deadline = Date.now() + 5_000;
    let max: number | undefined;
    while (max === undefined || max < 1) {
      if (Date.now() > deadline) throw new Error("no AWS/SQS metric arrived");
      await new Promise((r) => setTimeout(r, 100));
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "AWS/SQS",
          MetricName: "ApproximateNumberOfMessagesVisible",
          Dimensions: dims,
          StartTime: new Date(Date.now() - 120_000),
          EndTime: new Date(Date.now() + 60_000),
          Period: 60,
          Statistics: ["Maximum"],
        }),
      );
      max = stats.Datapoints?.[0]?.Maximum;
    }
    expect(max).toBe(1);
    const listed = await cw.send(new ListMetricsCommand({ Namespace: "AWS/SQS", Dimensions: dims }));
    expect(listed.Metrics?.map((m) => m.MetricName)).toContain("NumberOfMessagesSent");
    sqs.destroy();
    cw.destroy();
  });
});

describe("persistence", () => {
  it("metrics, alarms with their state, history and dashboards survive a restart", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cw-persist-"));
    try {
      let server = await startEmulator({ port: 0, dataDir });
      let cw = client(server.url, "json");
      const t = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
      await cw.send(
        new PutMetricDataCommand({
          Namespace: "Persist",
          MetricData: [{ MetricName: "M", Value: 7, Timestamp: t }],
        }),
      );
      await cw.send(
        new PutMetricAlarmCommand({
          AlarmName: "persisted",
          Namespace: "Persist",
          MetricName: "M",
          Statistic: "Sum",
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: "GreaterThanThreshold",
          Tags: [{ Key: "k", Value: "v" }],
        }),
      );
      await cw.send(
        new SetAlarmStateCommand({ AlarmName: "persisted", StateValue: "ALARM", StateReason: "kept" }),
      );
      await cw.send(new PutDashboardCommand({ DashboardName: "persisted", DashboardBody: '{"widgets":[]}' }));
      cw.destroy();
      await server.close();

      server = await startEmulator({ port: 0, dataDir });
      cw = client(server.url, "json");
      const stats = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: "Persist",
          MetricName: "M",
          StartTime: t,
          EndTime: new Date(t.getTime() + 60_000),
          Period: 60,
          Statistics: ["Sum"],
        }),
      );
      expect(stats.Datapoints?.[0]?.Sum).toBe(7);
      const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ["persisted"] })))
        .MetricAlarms?.[0];
      expect(alarm).toMatchObject({ StateValue: "ALARM", StateReason: "kept" });
      const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: "persisted" }));
      expect(history.AlarmHistoryItems?.map((i) => i.HistoryItemType)).toEqual([
        "StateUpdate",
        "ConfigurationUpdate",
      ]);
      expect((await cw.send(new ListTagsForResourceCommand({ ResourceARN: alarm?.AlarmArn }))).Tags).toEqual([
        { Key: "k", Value: "v" },
      ]);
      expect((await cw.send(new GetDashboardCommand({ DashboardName: "persisted" }))).DashboardBody).toBe(
        '{"widgets":[]}',
      );
      cw.destroy();
      await server.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

// ---- the AWS CLI -------------------------------------------------------------------------------

const cli = findAwsCli();
if (!cli) console.warn("aws cloudwatch CLI tests SKIPPED: no `aws` on PATH (pip install awscli)");

describe.skipIf(!cli)(`aws cloudwatch CLI (${cli ?? "absent"})`, () => {
  const { env, remove } = isolatedAwsEnv("cw-cli-home-");
  afterAll(remove);
  const aws = (args: string[]) =>
    runAwsCli(cli ?? "aws", [...args, "--endpoint-url", emu.url, "--output", "json"], env, 30_000);

  it("put-metric-data, get-metric-statistics, put-metric-alarm, describe-alarms", {
    timeout: 60_000,
  }, async () => {
    const ns = `Cli/${randomUUID().slice(0, 6)}`;
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
    const put = await aws([
      "cloudwatch",
      "put-metric-data",
      "--namespace",
      ns,
      "--metric-name",
      "Jobs",
      "--value",
      "4",
      "--unit",
      "Count",
      "--dimensions",
      "Queue=jobs.fifo",
      "--timestamp",
      new Date(minute.getTime() + 5_000).toISOString(),
    ]);
    expect(put.stderr).toBe("");
    expect(put.code).toBe(0);
    const stats = await aws([
      "cloudwatch",
      "get-metric-statistics",
      "--namespace",
      ns,
      "--metric-name",
      "Jobs",
      "--dimensions",
      "Name=Queue,Value=jobs.fifo",
      "--start-time",
      minute.toISOString(),
      "--end-time",
      new Date(minute.getTime() + 60_000).toISOString(),
      "--period",
      "60",
      "--statistics",
      "Sum",
      "SampleCount",
    ]);
    expect(stats.code).toBe(0);
    const parsed = JSON.parse(stats.stdout);
    expect(parsed.Label).toBe("Jobs");
    expect(parsed.Datapoints).toHaveLength(1);
    expect(parsed.Datapoints[0]).toMatchObject({ Sum: 4, SampleCount: 1, Unit: "Count" });
    // aws-cli v1 prints timestamps as received (cli_timestamp_format "none"): epoch seconds over JSON.
    const ts = parsed.Datapoints[0].Timestamp;
    expect(typeof ts === "number" ? ts * 1000 : Date.parse(ts)).toBe(minute.getTime());

    const alarm = await aws([
      "cloudwatch",
      "put-metric-alarm",
      "--alarm-name",
      `${ns}-alarm`.replaceAll("/", "-"),
      "--namespace",
      ns,
      "--metric-name",
      "Jobs",
      "--dimensions",
      "Name=Queue,Value=jobs.fifo",
      "--statistic",
      "Sum",
      "--period",
      "60",
      "--evaluation-periods",
      "1",
      "--threshold",
      "3",
      "--comparison-operator",
      "GreaterThanThreshold",
      "--treat-missing-data",
      "notBreaching",
    ]);
    expect(alarm.stderr).toBe("");
    expect(alarm.code).toBe(0);
    const described = await aws([
      "cloudwatch",
      "describe-alarms",
      "--alarm-names",
      `${ns}-alarm`.replaceAll("/", "-"),
    ]);
    expect(described.code).toBe(0);
    const metricAlarms = JSON.parse(described.stdout).MetricAlarms;
    expect(metricAlarms).toHaveLength(1);
    expect(metricAlarms[0]).toMatchObject({
      StateValue: "INSUFFICIENT_DATA",
      Threshold: 3,
      Dimensions: [{ Name: "Queue", Value: "jobs.fifo" }],
      TreatMissingData: "notBreaching",
    });
    const bad = await aws([
      "cloudwatch",
      "put-metric-data",
      "--namespace",
      "AWS/EC2",
      "--metric-name",
      "x",
      "--value",
      "1",
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidParameterValue/);
  });
});
