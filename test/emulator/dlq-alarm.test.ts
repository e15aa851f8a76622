/**
 * The platform's DLQ alarm end to end, on real timers: SQS redrives a message into the FIFO DLQ,
 * SQS publishes its AWS/SQS metrics, CloudWatch evaluates a 10-s alarm on the DLQ's
 * ApproximateNumberOfMessagesVisible, the alarm publishes to SNS, SNS delivers to an SQS queue.
 * Beside it, the seed's alarm on NumberOfMessagesSent, which AWS documents never counts a
 * redriven message, stays quiet.
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
} from "@aws-sdk/client-cloudwatch";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulators/aws/server.ts";

const PERIOD_S = 10;
let emu: Emulator;
let sqs: SQSClient;
let cw: CloudWatchClient;
let sns: SNSClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  const base = {
    endpoint: emu.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  sqs = new SQSClient({ ...base, useQueueUrlAsEndpoint: false });
  cw = new CloudWatchClient(base);
  sns = new SNSClient(base);
});
afterAll(() => emu.close());

async function arnOf(QueueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return Attributes?.QueueArn ?? "";
}

describe("DLQ alarm", () => {
  it("a redriven message sets the DLQ's visible-messages alarm to ALARM and the notification reaches an SQS subscriber within two periods; NumberOfMessagesSent stays quiet", {
    timeout: 60_000,
  }, async () => {
    const dlqName = "alarm-dlq.fifo";
    const dlqUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: dlqName, Attributes: { FifoQueue: "true" } }))
    ).QueueUrl as string;
    const jobsUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: "alarm-jobs.fifo",
          Attributes: {
            FifoQueue: "true",
            ContentBasedDeduplication: "true",
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount: 3 }),
          },
        }),
      )
    ).QueueUrl as string;

    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "alarm-alerts" }));
    const inboxUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "alarm-inbox" })))
      .QueueUrl as string;
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: await arnOf(inboxUrl) }));

    const alarm = (name: string, metric: string, statistic: "Maximum" | "Sum") =>
      cw.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: "AWS/SQS",
          MetricName: metric,
          Dimensions: [{ Name: "QueueName", Value: dlqName }],
          Statistic: statistic,
          Period: PERIOD_S,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: "GreaterThanThreshold",
          TreatMissingData: "notBreaching",
          AlarmActions: [TopicArn as string],
        }),
      );
    await alarm("dlq-visible", "ApproximateNumberOfMessagesVisible", "Maximum");
    await alarm("dlq-sent", "NumberOfMessagesSent", "Sum");
    const { MetricAlarms: fresh = [] } = await cw.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: "dlq-" }),
    );
    expect(fresh.map((a) => a.StateValue)).toEqual(["INSUFFICIENT_DATA", "INSUFFICIENT_DATA"]);

    // Three receives deliver the job; the fourth moves it to the DLQ.
    await sqs.send(
      new SendMessageCommand({ QueueUrl: jobsUrl, MessageBody: "always fails", MessageGroupId: "u1" }),
    );
    for (let i = 0; i < 3; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: jobsUrl, VisibilityTimeout: 0 }),
      );
      expect(Messages).toHaveLength(1);
    }
    const fourth = await sqs.send(new ReceiveMessageCommand({ QueueUrl: jobsUrl }));
    expect(fourth.Messages ?? []).toHaveLength(0);
    const redrivenAt = Date.now();
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe("1");

    let notification: Record<string, unknown> | undefined;
    while (!notification && Date.now() - redrivenAt < 2 * PERIOD_S * 1000 + 5_000) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inboxUrl, WaitTimeSeconds: 2, MaxNumberOfMessages: 10 }),
      );
      for (const m of Messages) {
        const envelope = JSON.parse(m.Body ?? "{}") as { Type: string; Subject: string; Message: string };
        const body = JSON.parse(envelope.Message) as Record<string, unknown>;
        expect(body.AlarmName, "only the visible-messages alarm notifies").toBe("dlq-visible");
        notification = body;
      }
    }
    const elapsed = Date.now() - redrivenAt;
    expect(notification, "no alarm notification arrived").toBeDefined();
    expect(elapsed, "notification within two periods").toBeLessThanOrEqual(2 * PERIOD_S * 1000);
    expect(notification).toMatchObject({
      AlarmName: "dlq-visible",
      NewStateValue: "ALARM",
      // OK when an evaluation with zero visible messages came first.
      OldStateValue: expect.stringMatching(/^(INSUFFICIENT_DATA|OK)$/),
      Trigger: {
        MetricName: "ApproximateNumberOfMessagesVisible",
        Namespace: "AWS/SQS",
        Dimensions: [{ name: "QueueName", value: dlqName }],
        Period: PERIOD_S,
      },
    });

    const { MetricAlarms = [] } = await cw.send(
      new DescribeAlarmsCommand({ AlarmNames: ["dlq-visible", "dlq-sent"] }),
    );
    const state = Object.fromEntries(MetricAlarms.map((a) => [a.AlarmName, a.StateValue]));
    expect(state["dlq-visible"]).toBe("ALARM");
    expect(state["dlq-sent"], "a redriven message is not counted as sent to the DLQ").not.toBe("ALARM");
    const { AlarmHistoryItems = [] } = await cw.send(
      new DescribeAlarmHistoryCommand({ AlarmName: "dlq-sent", HistoryItemType: "StateUpdate" }),
    );
    expect(AlarmHistoryItems.some((h) => h.HistorySummary?.includes("to ALARM"))).toBe(false);
  });
});
