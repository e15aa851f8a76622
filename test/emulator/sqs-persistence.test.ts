/**
 * SQS state survives `kill -9`: the emulator runs as a real child process on a temp data dir,
 * is SIGKILLed with messages in flight (and once in the middle of a burst of sends), and is
 * restarted on the same dir. Queue URLs are built from the request host, so the new port is fine.
 *
 * SQS_PERSISTENCE_SERVER=fauxqs runs the same checks against fauxqs's SQLite persistence, for
 * comparison (it is known to lose the dedup window).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { type ChildServer, spawnServer } from "../../scripts/bench/child-server.ts";

const SERVER = process.env.SQS_PERSISTENCE_SERVER === "fauxqs" ? "fauxqs" : "ours";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sqs-persist-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dataDir: string): Promise<{ server: ChildServer; sqs: SQSClient }> {
  const server = await spawnServer({ server: SERVER, dataDir });
  const sqs = new SQSClient({
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  cleanups.push(async () => {
    sqs.destroy();
    await server.kill();
  });
  return { server, sqs };
}

async function counts(sqs: SQSClient, QueueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages),
    notVisible: Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/**
 * Receive and delete until at least `expected` messages came and a receive is empty, or
 * `timeoutMs` passed; then one more receive, whose messages are returned as `extra`.
 */
async function drain(sqs: SQSClient, QueueUrl: string, expected: number, timeoutMs = 20_000) {
  const got: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) {
      if (got.length >= expected) break;
      continue;
    }
    got.push(...Messages);
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    expect(del.Failed ?? []).toEqual([]);
  }
  const extra = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  return { got, extra: extra.Messages ?? [] };
}

function bodies(ms: Message[]): string[] {
  return ms.map((m) => m.Body ?? "");
}

/** Bodies look like `<group>-<n>`: checks n increases within each group. */
function expectFifoOrder(received: string[]) {
  const last = new Map<string, number>();
  for (const b of received) {
    const [group, n] = b.split("-");
    const seq = Number(n);
    const prev = last.get(group ?? "") ?? -1;
    expect(seq, `FIFO order in group ${group}: ${b} after ${group}-${prev}`).toBeGreaterThan(prev);
    last.set(group ?? "", seq);
  }
}

describe(`SQS persistence across kill -9 (${SERVER})`, () => {
  it("restores queues, attributes, in-flight messages, receive counts, deletions and the dedup window", async () => {
    const dataDir = tempDir();
    let { server, sqs } = await start(dataDir);

    const fifoUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: "persist.fifo",
          Attributes: { FifoQueue: "true", VisibilityTimeout: "2", ContentBasedDeduplication: "false" },
        }),
      )
    ).QueueUrl as string;
    const stdUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: "persist-std",
          Attributes: { VisibilityTimeout: "2", MessageRetentionPeriod: "86400", MaximumMessageSize: "2048" },
        }),
      )
    ).QueueUrl as string;

    // 20 FIFO messages, groups A and B interleaved, explicit dedup ids; 5 standard messages.
    const fifoSent: string[] = [];
    for (let n = 0; n < 10; n++) {
      for (const group of ["A", "B"]) {
        const body = `${group}-${n}`;
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: fifoUrl,
            MessageBody: body,
            MessageGroupId: group,
            MessageDeduplicationId: `dedup-${body}`,
            MessageAttributes: { Seq: { DataType: "Number", StringValue: String(n) } },
          }),
        );
        fifoSent.push(body);
      }
    }
    const stdSent = ["s-0", "s-1", "s-2", "s-3", "s-4"];
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stdUrl,
        Entries: stdSent.map((b, i) => ({ Id: `e${i}`, MessageBody: b })),
      }),
    );
    expect(batch.Successful).toHaveLength(5);

    // Put some in flight (visibility 5 s, longer than the restart), delete one of each queue.
    // (A FIFO receive may return several messages of one group, or one per group: both are fine.)
    const fifoReceived: Message[] = [];
    for (let tries = 0; fifoReceived.length < 3 && tries < 3; tries++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: fifoUrl, MaxNumberOfMessages: 4, VisibilityTimeout: 5 }),
      );
      if (Messages.length === 0) break;
      fifoReceived.push(...Messages);
    }
    expect(fifoReceived.length, "FIFO receives before the kill").toBeGreaterThanOrEqual(2);
    const stdReceived: Message[] = [];
    while (stdReceived.length < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: stdUrl,
          MaxNumberOfMessages: 2 - stdReceived.length,
          VisibilityTimeout: 5,
        }),
      );
      stdReceived.push(...Messages);
    }
    const [fifoDeleted, ...fifoInFlight] = fifoReceived as [Message, ...Message[]];
    const [stdDeleted, ...stdInFlight] = stdReceived as [Message, ...Message[]];
    await sqs.send(new DeleteMessageCommand({ QueueUrl: fifoUrl, ReceiptHandle: fifoDeleted.ReceiptHandle }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: stdUrl, ReceiptHandle: stdDeleted.ReceiptHandle }));

    const fifoCounts = { visible: 20 - fifoReceived.length, notVisible: fifoInFlight.length };
    const stdCounts = { visible: 5 - stdReceived.length, notVisible: stdInFlight.length };
    expect(await counts(sqs, fifoUrl)).toEqual(fifoCounts);
    expect(await counts(sqs, stdUrl)).toEqual(stdCounts);

    // kill -9 and restart on the same data dir.
    await server.kill("SIGKILL");
    sqs.destroy();
    ({ server, sqs } = await start(dataDir));

    // Queues and attributes are back (URLs carry the new port).
    const fifoUrl2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "persist.fifo" })))
      .QueueUrl as string;
    const stdUrl2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "persist-std" }))).QueueUrl as string;
    expect(fifoUrl2).toMatch(/\/persist\.fifo$/);
    const fifoAttrs = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fifoUrl2, AttributeNames: ["All"] }))
    ).Attributes;
    expect(fifoAttrs).toMatchObject({
      FifoQueue: "true",
      VisibilityTimeout: "2",
      ContentBasedDeduplication: "false",
    });
    const stdAttrs = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stdUrl2, AttributeNames: ["All"] }))
    ).Attributes;
    expect(stdAttrs).toMatchObject({
      VisibilityTimeout: "2",
      MessageRetentionPeriod: "86400",
      MaximumMessageSize: "2048",
    });

    // Counts: in-flight messages are still in flight.
    expect(await counts(sqs, fifoUrl2)).toEqual(fifoCounts);
    expect(await counts(sqs, stdUrl2)).toEqual(stdCounts);

    // The dedup window survived: re-sending known dedup ids (of the deleted message and of one
    // never received) is accepted but delivers nothing new.
    for (const body of [fifoDeleted.Body as string, "B-9"]) {
      const group = body.split("-")[0];
      const resent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: fifoUrl2,
          MessageBody: `dup-${body}`,
          MessageGroupId: group,
          MessageDeduplicationId: `dedup-${body}`,
        }),
      );
      expect(resent.MessageId).toBeTruthy();
    }
    expect(await counts(sqs, fifoUrl2)).toEqual(fifoCounts);

    // A receipt handle from before the kill still deletes its in-flight message.
    const lateDeleted = fifoInFlight.pop() as Message;
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: fifoUrl2, ReceiptHandle: lateDeleted.ReceiptHandle }),
    );
    expect(await counts(sqs, fifoUrl2)).toEqual({ ...fifoCounts, notVisible: fifoCounts.notVisible - 1 });
    const deletedBodies = [fifoDeleted.Body, lateDeleted.Body];

    // After the visibility timeout everything not deleted comes back exactly once, in group order,
    // and the messages received before the kill carry receive count 2.
    const fifo = await drain(sqs, fifoUrl2, 18);
    expect(fifo.extra, "messages left after the FIFO drain").toEqual([]);
    const fifoBodies = bodies(fifo.got);
    expect([...fifoBodies].sort()).toEqual(fifoSent.filter((b) => !deletedBodies.includes(b)).sort());
    expect(new Set(fifoBodies).size).toBe(fifoBodies.length);
    expectFifoOrder(fifoBodies);
    const inFlightBodies = new Set(bodies(fifoInFlight));
    for (const m of fifo.got) {
      expect(m.Attributes?.ApproximateReceiveCount, `receive count of ${m.Body}`).toBe(
        inFlightBodies.has(m.Body as string) ? "2" : "1",
      );
      expect(m.Attributes?.MessageGroupId).toBe(m.Body?.split("-")[0]);
      expect(m.MessageAttributes?.Seq?.StringValue).toBe(m.Body?.split("-")[1]);
    }

    const std = await drain(sqs, stdUrl2, 4);
    expect(std.extra, "messages left after the standard drain").toEqual([]);
    const stdBodies = bodies(std.got);
    expect([...stdBodies].sort()).toEqual(stdSent.filter((b) => b !== stdDeleted.Body).sort());
    const stdInFlightBodies = new Set(bodies(stdInFlight));
    for (const m of std.got) {
      expect(m.Attributes?.ApproximateReceiveCount, `receive count of ${m.Body}`).toBe(
        stdInFlightBodies.has(m.Body as string) ? "2" : "1",
      );
    }
    expect(await counts(sqs, fifoUrl2)).toEqual({ visible: 0, notVisible: 0 });
    expect(await counts(sqs, stdUrl2)).toEqual({ visible: 0, notVisible: 0 });
  }, 60_000);

  it("persists ChangeMessageVisibility (0 returns a message at once, a longer one keeps it hidden)", async () => {
    const dataDir = tempDir();
    let { server, sqs } = await start(dataDir);
    const QueueUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: "cmv", Attributes: { VisibilityTimeout: "2" } }))
    ).QueueUrl as string;
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ["c-0", "c-1", "c-2"].map((b, i) => ({ Id: `e${i}`, MessageBody: b })),
      }),
    );
    const received: Message[] = [];
    while (received.length < 2) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2 - received.length }),
      );
      received.push(...Messages);
    }
    const [nacked, extended] = received as [Message, Message];
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: nacked.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: extended.ReceiptHandle,
        VisibilityTimeout: 60,
      }),
    );
    expect(await counts(sqs, QueueUrl)).toEqual({ visible: 2, notVisible: 1 });

    await server.kill("SIGKILL");
    sqs.destroy();
    ({ server, sqs } = await start(dataDir));
    const url2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "cmv" }))).QueueUrl as string;
    expect(await counts(sqs, url2)).toEqual({ visible: 2, notVisible: 1 });
    // Well past the queue's 2 s: the extended message must still be hidden.
    await new Promise((r) => setTimeout(r, 2_500));
    const { got, extra } = await drain(sqs, url2, 2, 5_000);
    expect(extra).toEqual([]);
    const byBody = new Map(got.map((m) => [m.Body, m]));
    expect([...byBody.keys()].sort()).toEqual(
      ["c-0", "c-1", "c-2"].filter((b) => b !== extended.Body).sort(),
    );
    expect(byBody.get(nacked.Body)?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(await counts(sqs, url2)).toEqual({ visible: 0, notVisible: 1 });
  }, 60_000);

  // The next two tests put the data dir into states a crash can leave behind, by hand; they
  // know the journal's file names (core/persistence.ts), so they only run against ours.
  it.skipIf(SERVER !== "ours")(
    "ignores a torn last journal line and keeps journaling after it",
    async () => {
      const dataDir = tempDir();
      let { server, sqs } = await start(dataDir);
      const QueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "torn-line" })))
        .QueueUrl as string;
      for (const b of ["t-0", "t-1", "t-2"])
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: b }));
      await server.kill("SIGKILL");
      sqs.destroy();
      // A write cut short by a power loss: half a change, no newline, at the end of the journal.
      const journals = fs.readdirSync(dataDir).filter((f) => /^journal.*\.ndjson$/.test(f));
      expect(journals, "one journal").toHaveLength(1);
      const journalPath = path.join(dataDir, journals[0] as string);
      expect(fs.readFileSync(journalPath, "utf8")).toContain('"t-2"');
      fs.appendFileSync(journalPath, '{"s":"sqs","c":{"t":"sent","arn":"arn:aws:sqs:us-e');

      ({ server, sqs } = await start(dataDir));
      const url2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "torn-line" }))).QueueUrl as string;
      await sqs.send(new SendMessageCommand({ QueueUrl: url2, MessageBody: "t-3" }));
      await server.kill("SIGKILL");
      sqs.destroy();

      ({ server, sqs } = await start(dataDir));
      const url3 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "torn-line" }))).QueueUrl as string;
      const { got, extra } = await drain(sqs, url3, 4, 5_000);
      expect(bodies(got).sort()).toEqual(["t-0", "t-1", "t-2", "t-3"]);
      expect(extra).toEqual([]);
    },
    60_000,
  );

  it.skipIf(SERVER !== "ours")(
    "survives a crash between writing the compacted snapshot and emptying the journal",
    async () => {
      // On open the emulator compacts: snapshot.json (tmp + rename) now holds every change, then
      // the old journal is removed. A kill between the two leaves both; the next open must not
      // apply those changes twice.
      const dataDir = tempDir();
      let { server, sqs } = await start(dataDir);
      const QueueUrl = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: "torn-compaction.fifo",
            Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" },
          }),
        )
      ).QueueUrl as string;
      for (const b of ["g-0", "g-1", "g-2"])
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: b, MessageGroupId: "g" }));
      await server.kill("SIGKILL");
      sqs.destroy();
      const journals = fs.readdirSync(dataDir).filter((f) => /^journal.*\.ndjson$/.test(f));
      expect(journals, "one journal before the restart").toHaveLength(1);
      const journalPath = path.join(dataDir, journals[0] as string);
      const journal = fs.readFileSync(journalPath);
      expect(journal.length, "the sends are in the journal").toBeGreaterThan(0);

      // Open once (compacts), then put the journal back: the state of a kill right after the rename.
      ({ server } = await start(dataDir));
      await server.kill("SIGKILL");
      fs.writeFileSync(journalPath, journal);

      ({ server, sqs } = await start(dataDir));
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: "torn-compaction.fifo" })))
        .QueueUrl as string;
      expect(await counts(sqs, url)).toEqual({ visible: 3, notVisible: 0 });
      const { got, extra } = await drain(sqs, url, 3, 5_000);
      expect(bodies(got)).toEqual(["g-0", "g-1", "g-2"]);
      expect(bodies(extra), "messages delivered again after they were deleted").toEqual([]);
      expect(await counts(sqs, url)).toEqual({ visible: 0, notVisible: 0 });
    },
    60_000,
  );

  it("keeps every acknowledged send when killed in the middle of a burst", async () => {
    const dataDir = tempDir();
    let { server, sqs } = await start(dataDir);
    const stdUrl = (await sqs.send(new CreateQueueCommand({ QueueName: "burst" }))).QueueUrl as string;
    const fifoUrl = (
      await sqs.send(new CreateQueueCommand({ QueueName: "burst.fifo", Attributes: { FifoQueue: "true" } }))
    ).QueueUrl as string;

    const acked = new Map<string, string>(); // body -> MessageId
    const attempted = new Set<string>();
    let killed: Promise<void> | undefined;
    const killAfter = 300;
    const maybeKill = () => {
      if (!killed && acked.size >= killAfter) killed = server.kill("SIGKILL");
    };

    // 4 concurrent SendMessage loops on the standard queue, 2 sequential SendMessageBatch loops
    // (one per group, so order within a group is defined) on the FIFO queue. Each stops at its
    // first failed request: the kill.
    const stdLoop = async (loop: number) => {
      for (let i = 0; ; i++) {
        const body = `s${loop}-${i}`;
        attempted.add(body);
        try {
          const out = await sqs.send(new SendMessageCommand({ QueueUrl: stdUrl, MessageBody: body }));
          acked.set(body, out.MessageId as string);
        } catch {
          return;
        }
        maybeKill();
      }
    };
    const fifoLoop = async (group: string) => {
      for (let i = 0; ; i += 5) {
        const entries = [0, 1, 2, 3, 4].map((k) => ({
          Id: `e${k}`,
          MessageBody: `${group}-${i + k}`,
          MessageGroupId: group,
          MessageDeduplicationId: `${group}-${i + k}`,
        }));
        for (const e of entries) attempted.add(e.MessageBody);
        try {
          const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: fifoUrl, Entries: entries }));
          for (const ok of out.Successful ?? []) {
            const entry = entries.find((e) => e.Id === ok.Id);
            if (entry) acked.set(entry.MessageBody, ok.MessageId as string);
          }
        } catch {
          return;
        }
        maybeKill();
      }
    };
    await Promise.all([stdLoop(0), stdLoop(1), stdLoop(2), stdLoop(3), fifoLoop("G"), fifoLoop("H")]);
    await killed;
    expect(killed, "the burst ended before the kill").toBeDefined();
    sqs.destroy();

    ({ server, sqs } = await start(dataDir));
    const stdUrl2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "burst" }))).QueueUrl as string;
    const fifoUrl2 = (await sqs.send(new GetQueueUrlCommand({ QueueName: "burst.fifo" }))).QueueUrl as string;
    const ackedStd = [...acked.keys()].filter((b) => b.startsWith("s"));
    const ackedFifo = [...acked.keys()].filter((b) => !b.startsWith("s"));

    const std = await drain(sqs, stdUrl2, ackedStd.length, 10_000);
    const fifo = await drain(sqs, fifoUrl2, ackedFifo.length, 10_000);
    for (const [label, got] of [
      ["standard", std.got],
      ["FIFO", fifo.got],
    ] as const) {
      const b = bodies(got);
      expect(new Set(b).size, `${label}: duplicates after restart`).toBe(b.length);
      for (const body of b) expect(attempted.has(body), `${label}: unknown message ${body}`).toBe(true);
      for (const m of got) {
        const id = acked.get(m.Body as string);
        if (id) expect(m.MessageId, `MessageId of ${m.Body}`).toBe(id);
      }
    }
    const present = new Set([...bodies(std.got), ...bodies(fifo.got)]);
    const lost = [...acked.keys()].filter((b) => !present.has(b));
    expect(lost, `acknowledged sends lost by kill -9 (of ${acked.size})`).toEqual([]);
    expectFifoOrder(bodies(fifo.got));
    // What was sent but not acknowledged may or may not be there; it has been drained now.
    expect(std.extra).toEqual([]);
    expect(fifo.extra).toEqual([]);
  }, 60_000);
});
