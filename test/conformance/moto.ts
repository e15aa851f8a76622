/**
 * moto_server as a second opinion for the SQS conformance checks: start/stop it, and the list of
 * its known deviations from AWS (each with the AWS reference that decides it). The list is a
 * claim that `sqs-vs-moto.test.ts` re-verifies on every run, so it stays true: a check listed here
 * must fail on moto with the quoted symptom, and every check not listed must pass.
 *
 * Measured with moto 5.2.1 (`pip install moto[server]`). A fresh laptop does not have moto; the
 * test that uses it is then skipped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { freePort } from "../../scripts/lib/free-port.ts";
import type { Protocol } from "./sqs-harness.ts";

export function findMotoServer(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "moto_server");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface Moto {
  url: string;
  close(): Promise<void>;
}

export async function startMoto(bin: string): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ["-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not answer on ${url} within 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export interface MotoDeviation {
  /** Exact check name from `sqsChecks`. */
  check: string;
  /** Protocols it shows on; both when absent. */
  protocols?: Protocol[];
  /** The failure message moto produces matches this. */
  symptom: RegExp;
  /** "fails": always; "flaky": moto is random here and sometimes passes by chance. */
  kind?: "fails" | "flaky";
  /** What moto does, in words. */
  moto: string;
  /** What AWS documents, with the source. */
  aws: string;
}

export const motoDeviations: readonly MotoDeviation[] = [
  {
    check: "queue: ListQueues MaxResults/NextToken pagination",
    symptom: /first page holds MaxResults=2 URLs/,
    moto: "ignores MaxResults; returns every matching URL and no NextToken",
    aws: 'SDK doc ListQueuesRequest.MaxResults: "Maximum number of results to include in the response. Value range is 1 to 1000. You must set MaxResults to receive a value for NextToken in the response."',
  },
  {
    check: "queue: name rules (80 chars, [A-Za-z0-9_-], .fifo iff FifoQueue) -> InvalidParameterValue",
    symptom: /\.fifo suffix without FifoQueue: expected error InvalidParameterValue, but the call succeeded/,
    moto: "creates a standard queue named x.fifo",
    aws: 'SDK doc CreateQueue QueueName: "Valid values: alphanumeric characters, hyphens (-), and underscores (_). A FIFO queue name must end with the .fifo suffix." (a "." is not valid in a standard queue name)',
  },
  {
    check: "queue: Get/SetQueueAttributes (All, named, unknown -> InvalidAttributeName)",
    symptom: /CreatedTimestamp is epoch seconds/,
    moto: "CreatedTimestamp/LastModifiedTimestamp are fractional (e.g. 1795770843.028899)",
    aws: 'SDK doc GetQueueAttributes: "CreatedTimestamp – Returns the time when the queue was created in seconds (epoch time)." AWS returns whole seconds.',
  },
  {
    check: "message: FIFO system attributes (MessageGroupId, MessageDeduplicationId, SequenceNumber)",
    symptom: /SequenceNumber increases/,
    kind: "flaky",
    moto: "SequenceNumber is a random 20-digit number per message, not increasing",
    aws: 'SDK doc SendMessageResult.SequenceNumber: "The large, non-consecutive number that Amazon SQS assigns to each message. ... SequenceNumber continues to increase for a particular MessageGroupId."',
  },
  {
    check: "fifo: dedup by MessageDeduplicationId returns the original MessageId, delivers once",
    symptom: /a duplicate send returns the original MessageId/,
    moto: "a deduplicated send gets a fresh MessageId (nothing is delivered twice, though)",
    aws: "AWS answers a deduplicated send with the original message's MessageId (LocalStack's AWS-validated snapshots; SQS dev guide FIFO-queues-exactly-once-processing: retried sends introduce no duplicates)",
  },
  {
    check: "fifo: content-based dedup (SHA-256 of the body)",
    symptom: /same body -> duplicate, original MessageId/,
    moto: "a deduplicated send gets a fresh MessageId",
    aws: "as for explicit dedup ids: the duplicate send reports the original MessageId",
  },
  {
    check:
      "visibility: ChangeMessageVisibility extend and to 0; not in flight -> MessageNotInflight; >43200 rejected",
    symptom: /on a visible message: expected error MessageNotInflight, but the call succeeded/,
    moto: "accepts ChangeMessageVisibility for a message that is not in flight",
    aws: 'SDK doc ChangeMessageVisibility errors: "MessageNotInflight – The specified message isn\'t in flight."',
  },
  {
    check: "redrive: StartMessageMoveTask moves DLQ messages back; List/CancelMessageMoveTask",
    symptom: /HTTP 500|HTTP 404|doctype|<html>|not valid JSON|XML parse error/i,
    moto: "StartMessageMoveTask/ListMessageMoveTasks/CancelMessageMoveTask not implemented (HTML error page; getmoto/moto#10265 open)",
    aws: 'SDK doc StartMessageMoveTask: "Starts an asynchronous task to move messages from a specified source queue to a specified destination queue."',
  },
  {
    check: "delete: valid handle removes; garbage handle -> ReceiptHandleIsInvalid",
    symptom: /ReceiptHandleIsInvalid must be HTTP 404/,
    moto: "ReceiptHandleIsInvalid comes with HTTP 400",
    aws: "SDK error schema ReceiptHandleIsInvalid: awsQueryError [ReceiptHandleIsInvalid, 404], httpError 404",
  },
  {
    check: "delete: stale handle succeeds on standard; expired handle on FIFO -> InvalidParameterValue",
    symptom:
      /DeleteMessage on FIFO with an expired handle: expected error InvalidParameterValue, but the call succeeded/,
    moto: "deletes a FIFO message with an expired receipt handle",
    aws: 'https://repost.aws/knowledge-center/sqs-receipt-handle-error: "For FIFO queues, a receipt handle expires after a visibility timeout period. ... (InvalidParameterValue) ... Reason: The receipt handle has expired."',
  },
  {
    check: "batch: per-entry failures in Send/Delete/ChangeMessageVisibilityBatch",
    protocols: ["json"],
    symptom: /'true' !== true/,
    moto: 'JSON protocol: BatchResultErrorEntry.SenderFault is the string "true", not a boolean',
    aws: 'SDK model BatchResultErrorEntry.SenderFault: boolean ("Specifies whether the error happened due to the caller of the batch API action.")',
  },
  {
    check:
      "batch: EmptyBatchRequest, TooManyEntriesInBatchRequest, BatchEntryIdsNotDistinct, InvalidBatchEntryId, BatchRequestTooLong",
    symptom:
      /DeleteMessageBatch with 11 entries: expected error TooManyEntriesInBatchRequest, got BatchEntryIdsNotDistinct/,
    moto: "DeleteMessageBatch with ids e0..e10 answers BatchEntryIdsNotDistinct ('Id e1 repeated')",
    aws: 'SDK doc TooManyEntriesInBatchRequest: "The batch request contains more entries than permissible. For Amazon SQS, the maximum number of entries you can include in a single SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch request is 10."',
  },
  {
    check: "errors: body of 1,048,576 bytes accepted, 1,048,577 -> InvalidParameterValue",
    symptom: /1,048,578 UTF-8 bytes: expected error InvalidParameterValue, but the call succeeded/,
    moto: "measures the body in characters, not bytes",
    aws: 'SDK doc SendMessage MessageBody: "The maximum size is 1 MiB or 1,048,576 bytes"',
  },
  {
    check: "errors: invalid characters in the body -> InvalidMessageContents",
    symptom: /body with U\+0007: expected error InvalidMessageContents, but the call succeeded/,
    moto: "accepts control characters such as U+0007",
    aws: 'SDK doc SendMessage MessageBody: "The following Unicode characters are allowed: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"; SDK doc InvalidMessageContents: "The message contains characters outside the allowed set."',
  },
];

export function deviationFor(check: string, protocol: Protocol): MotoDeviation | undefined {
  return motoDeviations.find((d) => d.check === check && (!d.protocols || d.protocols.includes(protocol)));
}
