/**
 * What SNS acknowledged survives kill -9: a Publish delivers to its SQS subscribers before it
 * answers (in-process, journaled with the answer), so after a crash and a restart on the same
 * data dir every acknowledged notification is in the queue. The emulator runs as a real child
 * process. (The window the synchronous delivery closes is a few microseconds wide, so this test
 * guards the journaling of deliveries more than it can catch that window.)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildServer, spawnServer } from "../../scripts/bench/child-server.ts";

const servers: ChildServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.kill();
});

function clients(url: string) {
  const base = {
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  return { sns: new SNSClient(base), sqs: new SQSClient({ ...base, useQueueUrlAsEndpoint: false }) };
}

describe("SNS -> SQS across kill -9", () => {
  it("every acknowledged Publish is in the subscribed queue after a restart", {
    timeout: 60_000,
  }, async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sns-durable-"));
    let server = await spawnServer({ dataDir });
    servers.push(server);
    let { sns, sqs } = clients(server.url);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "durable" }));
    const QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "durable-inbox" })))
      .QueueUrl as string;
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes?.QueueArn }));

    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      await sns.send(new PublishCommand({ TopicArn, Message: `n${i}` }));
      acknowledged.push(`n${i}`);
    }
    await server.kill("SIGKILL"); // no time for anything after the last answer
    servers.pop();

    server = await spawnServer({ dataDir });
    servers.push(server);
    ({ sns, sqs } = clients(server.url));
    const got: string[] = [];
    for (let i = 0; i < 10 && got.length < acknowledged.length; i++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: `${server.url}/000000000000/durable-inbox`,
          MaxNumberOfMessages: 10,
        }),
      );
      for (const m of Messages) got.push((JSON.parse(m.Body ?? "{}") as { Message: string }).Message);
    }
    expect(got.sort()).toEqual([...acknowledged].sort());
  });
});
