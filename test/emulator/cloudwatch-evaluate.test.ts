/**
 * CloudWatch's pure parts, by tables: alarm evaluation (M out of N, TreatMissingData, the four
 * operators, premature alarms), statistics, the SNS notification, dashboard body validation and
 * the query decoder. No server, no clock, no timers.
 */
import { describe, expect, it } from "vitest";
import { validateDashboardBody } from "../../emulators/aws/cloudwatch/dashboards.ts";
import { type AlarmRule, evaluateAlarm, formatDouble } from "../../emulators/aws/cloudwatch/evaluate.ts";
import { alarmNotification, alarmSubject } from "../../emulators/aws/cloudwatch/notification.ts";
import { cloudWatchQuery } from "../../emulators/aws/cloudwatch/query.ts";
import type { Alarm, Sample } from "../../emulators/aws/cloudwatch/state.ts";
import { aggregate, bucket, statistic } from "../../emulators/aws/cloudwatch/statistics.ts";

const T0 = Date.UTC(2026, 0, 26, 12, 0, 0);

/** "X" breaching (value 10), "0" not breaching (value 0), "-" missing; oldest first. */
function points(pattern: string) {
  return [...pattern.replaceAll(" ", "")].map((c, i) => {
    const timestamp = T0 + i * 60_000;
    return c === "-" ? { timestamp } : { timestamp, value: c === "X" ? 10 : 0, sampleCount: 1 };
  });
}

const rule = (over: Partial<AlarmRule> = {}): AlarmRule => ({
  ComparisonOperator: "GreaterThanThreshold",
  Threshold: 5,
  EvaluationPeriods: 5,
  DatapointsToAlarm: 3,
  StateValue: "OK",
  Period: 60,
  Statistic: "Average",
  ...over,
});

describe("evaluateAlarm: 3 out of 5, by TreatMissingData", () => {
  // Rows: datapoints (oldest first), then the state for missing, ignore, breaching, notBreaching,
  // starting from OK. "0 - X - X" and "- - X - -" alarm under `missing` by the premature-alarm
  // rule (the oldest breaching datapoint is 3 periods old and nothing newer is fine); `ignore`
  // keeps the state there.
  const table: Array<[string, string, string, string, string]> = [
    ["0 - X - X", "ALARM", "OK", "ALARM", "OK"],
    ["0 - - - -", "OK", "OK", "ALARM", "OK"],
    ["- - - - -", "INSUFFICIENT_DATA", "OK", "ALARM", "OK"],
    ["0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"],
    ["- - X - -", "ALARM", "OK", "ALARM", "OK"],
    ["X X X 0 0", "ALARM", "ALARM", "ALARM", "ALARM"],
    ["X X 0 0 0", "OK", "OK", "OK", "OK"],
    ["- - - X -", "OK", "OK", "ALARM", "OK"],
  ];
  const treatments = ["missing", "ignore", "breaching", "notBreaching"] as const;
  for (const [pattern, ...expected] of table) {
    treatments.forEach((treat, i) => {
      it(`${pattern} with ${treat} -> ${expected[i]}`, () => {
        const verdict = evaluateAlarm(points(pattern), rule({ TreatMissingData: treat }));
        expect(verdict.state).toBe(expected[i]);
      });
    });
  }

  it("ignore keeps ALARM when every datapoint is missing", () => {
    expect(
      evaluateAlarm(points("- - - - -"), rule({ TreatMissingData: "ignore", StateValue: "ALARM" })).state,
    ).toBe("ALARM");
  });
  it("missing is the default", () => {
    expect(evaluateAlarm(points("- - - - -"), rule()).state).toBe("INSUFFICIENT_DATA");
  });
});

describe("evaluateAlarm: operators and M of N", () => {
  const table: Array<[string, number, number[], string]> = [
    ["GreaterThanThreshold", 5, [5], "OK"],
    ["GreaterThanThreshold", 5, [5.1], "ALARM"],
    ["GreaterThanOrEqualToThreshold", 5, [5], "ALARM"],
    ["LessThanThreshold", 5, [5], "OK"],
    ["LessThanThreshold", 5, [4.9], "ALARM"],
    ["LessThanOrEqualToThreshold", 5, [5], "ALARM"],
    ["LessThanOrEqualToThreshold", 5, [6], "OK"],
  ];
  for (const [op, threshold, values, state] of table) {
    it(`${values} ${op} ${threshold} -> ${state}`, () => {
      const dps = values.map((value, i) => ({ timestamp: T0 + i * 60_000, value }));
      expect(
        evaluateAlarm(
          dps,
          rule({ ComparisonOperator: op, Threshold: threshold, EvaluationPeriods: 1, DatapointsToAlarm: 1 }),
        ).state,
      ).toBe(state);
    });
  }

  it("DatapointsToAlarm defaults to EvaluationPeriods", () => {
    const r = rule({ EvaluationPeriods: 3 });
    delete r.DatapointsToAlarm;
    expect(evaluateAlarm(points("X X 0"), r).state).toBe("OK");
    expect(evaluateAlarm(points("X X X"), r).state).toBe("ALARM");
  });

  it("only the last EvaluationPeriods datapoints count", () => {
    expect(evaluateAlarm(points("X X X 0 0 0 0 0"), rule()).state).toBe("OK");
  });

  it("writes AWS's reason and reason data", () => {
    const v = evaluateAlarm(
      [{ timestamp: T0, value: 10, sampleCount: 2 }],
      rule({ EvaluationPeriods: 1, DatapointsToAlarm: 1 }),
    );
    expect(v.reason).toBe(
      "Threshold Crossed: 1 datapoint [10.0 (26/01/26 12:00:00)] was greater than the threshold (5.0).",
    );
    expect(v.reasonData).toMatchObject({
      version: "1.0",
      statistic: "Average",
      period: 60,
      recentDatapoints: [10],
      threshold: 5,
      evaluatedDatapoints: [{ timestamp: "2026-01-26T12:00:00.000+0000", sampleCount: 2, value: 10 }],
    });
    const ok = evaluateAlarm(points("0 0 0 0 0"), rule());
    expect(ok.reason).toContain("out of the last 5 datapoints");
    expect(ok.reason).toContain("for ALARM -> OK transition");
  });

  it("refuses operators it cannot evaluate", () => {
    expect(() =>
      evaluateAlarm(points("X"), rule({ ComparisonOperator: "LessThanLowerThreshold" })),
    ).toThrow();
  });

  it("formats doubles as Java does", () => {
    expect([5, 0.25, 1e7, -3].map(formatDouble)).toEqual(["5.0", "0.25", "1.0E7", "-3.0"]);
  });
});

describe("statistics", () => {
  const samples: Sample[] = [
    { t: T0, n: 1, s: 5, mn: 5, mx: 5 },
    { t: T0 + 10_000, n: 4, s: 9, mn: 1, mx: 3, v: [1, 2, 3], c: [1, 1, 2] },
    { t: T0 + 70_000, n: 10, s: 100, mn: 1, mx: 20 },
  ];
  it("aggregates value, values+counts and statistic sets", () => {
    const agg = aggregate(samples.slice(0, 2));
    expect(agg).toMatchObject({ SampleCount: 5, Sum: 14, Minimum: 1, Maximum: 5, Average: 2.8 });
    const all = aggregate(samples);
    expect(all).toMatchObject({ SampleCount: 15, Sum: 114, Minimum: 1, Maximum: 20 });
  });
  it("computes nearest-rank percentiles, none over statistic sets", () => {
    const agg = aggregate(samples.slice(0, 2));
    if (!agg) throw new Error("no aggregate");
    expect(statistic(agg, "p50")).toBe(3);
    expect(statistic(agg, "p20")).toBe(1);
    expect(statistic(agg, "p99")).toBe(5);
    expect(statistic(agg, "p100")).toBe(5);
    const withSet = aggregate(samples);
    if (!withSet) throw new Error("no aggregate");
    expect(statistic(withSet, "p50")).toBeUndefined();
  });
  it("buckets on period boundaries aligned to the epoch", () => {
    expect(bucket(samples, 60).map((b) => [b.start - T0, b.samples.length])).toEqual([
      [0, 2],
      [60_000, 1],
    ]);
    expect(bucket(samples, 10).map((b) => b.start - T0)).toEqual([0, 10_000, 70_000]);
  });
});

describe("alarm notification", () => {
  const alarm: Alarm = {
    AlarmName: "dlq-not-empty",
    AlarmArn: "arn:aws:cloudwatch:us-east-1:000000000000:alarm:dlq-not-empty",
    AlarmDescription: "DLQ has messages",
    ActionsEnabled: true,
    OKActions: [],
    AlarmActions: ["arn:aws:sns:us-east-1:000000000000:tinyllama-alerts"],
    InsufficientDataActions: [],
    MetricName: "ApproximateNumberOfMessagesVisible",
    Namespace: "AWS/SQS",
    Statistic: "Maximum",
    Dimensions: [{ Name: "QueueName", Value: "failed-tinyllama-jobs-dlq.fifo" }],
    Period: 60,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: 0,
    ComparisonOperator: "GreaterThanThreshold",
    TreatMissingData: "notBreaching",
    StateValue: "ALARM",
    StateReason: "Threshold Crossed",
    StateUpdatedTimestamp: T0,
    StateTransitionedTimestamp: T0,
    AlarmConfigurationUpdatedTimestamp: T0 - 60_000,
    tags: {},
  };
  it("has AWS's fields and subject", () => {
    const n = alarmNotification(
      alarm,
      { oldState: "OK", at: T0 },
      { accountId: "000000000000", region: "us-east-1" },
    );
    expect(n).toEqual({
      AlarmName: "dlq-not-empty",
      AlarmDescription: "DLQ has messages",
      AWSAccountId: "000000000000",
      AlarmConfigurationUpdatedTimestamp: "2026-01-26T11:59:00.000+0000",
      NewStateValue: "ALARM",
      NewStateReason: "Threshold Crossed",
      StateChangeTime: "2026-01-26T12:00:00.000+0000",
      Region: "US East (N. Virginia)",
      AlarmArn: alarm.AlarmArn,
      OldStateValue: "OK",
      OKActions: [],
      AlarmActions: alarm.AlarmActions,
      InsufficientDataActions: [],
      Trigger: {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        StatisticType: "Statistic",
        Statistic: "MAXIMUM",
        Unit: null,
        Dimensions: [{ value: "failed-tinyllama-jobs-dlq.fifo", name: "QueueName" }],
        Period: 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: "GreaterThanThreshold",
        Threshold: 0,
        TreatMissingData: "- TreatMissingData:                    notBreaching",
        EvaluateLowSampleCountPercentile: "",
      },
    });
    expect(alarmSubject("dlq-not-empty", "ALARM", "us-east-1")).toBe(
      'ALARM: "dlq-not-empty" in US East (N. Virginia)',
    );
  });
});

describe("dashboard body validation", () => {
  const table: Array<[string, unknown, Array<[string, string]>]> = [
    [
      "valid",
      { widgets: [{ type: "text", x: 0, y: 0, width: 24, height: 6, properties: { markdown: "# hi" } }] },
      [],
    ],
    ["no widgets", {}, [["", "Should have required property 'widgets'"]]],
    ["widgets not an array", { widgets: {} }, [["/widgets", "Should be array"]]],
    [
      "unknown type",
      { widgets: [{ type: "graph", properties: {} }] },
      [
        [
          "/widgets/0/type",
          "Should be equal to one of the allowed values: metric, text, log, alarm, explorer",
        ],
      ],
    ],
    [
      "x out of grid",
      { widgets: [{ type: "metric", x: 24, properties: {} }] },
      [["/widgets/0/x", "Should be less than or equal to 23"]],
    ],
    [
      "width 0",
      { widgets: [{ type: "metric", width: 0, properties: {} }] },
      [["/widgets/0/width", "Should be greater than or equal to 1"]],
    ],
    [
      "height not integer",
      { widgets: [{ type: "metric", height: "6", properties: {} }] },
      [["/widgets/0/height", "Should be integer"]],
    ],
    [
      "text without markdown",
      { widgets: [{ type: "text", properties: {} }] },
      [["/widgets/0/properties", "Should have required property 'markdown'"]],
    ],
  ];
  for (const [name, body, expected] of table) {
    it(name, () => {
      expect(validateDashboardBody(JSON.stringify(body)).map((m) => [m.DataPath, m.Message])).toEqual(
        expected,
      );
    });
  }
  it("not JSON", () => {
    expect(validateDashboardBody("{widgets:")[0]?.Message).toMatch(/must be a valid JSON object/);
  });
});

describe("query decoding", () => {
  it("turns flat params into the JSON protocol's shapes", () => {
    const params = new Map([
      ["Action", "PutMetricData"],
      ["Version", "2010-08-01"],
      ["Namespace", "App"],
      ["MetricData.member.1.MetricName", "Latency"],
      ["MetricData.member.1.Value", "1.5"],
      ["MetricData.member.1.Timestamp", "2026-01-26T12:00:00Z"],
      ["MetricData.member.1.Dimensions.member.1.Name", "Value"],
      ["MetricData.member.1.Dimensions.member.1.Value", "42"],
      ["MetricData.member.2.MetricName", "Counts"],
      ["MetricData.member.2.Values.member.1", "1"],
      ["MetricData.member.2.Values.member.2", "2"],
      ["AlarmActions", ""],
      ["ActionsEnabled", "false"],
    ]);
    expect(cloudWatchQuery.decode("PutMetricData", params)).toEqual({
      Namespace: "App",
      MetricData: [
        {
          MetricName: "Latency",
          Value: 1.5,
          Timestamp: T0 / 1000,
          Dimensions: [{ Name: "Value", Value: "42" }],
        },
        { MetricName: "Counts", Values: [1, 2] },
      ],
      AlarmActions: [],
      ActionsEnabled: false,
    });
  });
  it("writes lists as <member>, maps as <entry>, timestamps in ISO 8601", () => {
    expect(
      cloudWatchQuery.encode("GetMetricStatistics", {
        Label: "L",
        Datapoints: [{ Timestamp: T0 / 1000, Sum: 3, ExtendedStatistics: { p99: 2 } }],
      }),
    ).toBe(
      "<Label>L</Label><Datapoints><member><Timestamp>2026-01-26T12:00:00.000Z</Timestamp><Sum>3</Sum>" +
        "<ExtendedStatistics><entry><key>p99</key><value>2</value></entry></ExtendedStatistics></member></Datapoints>",
    );
  });
});
