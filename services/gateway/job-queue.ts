/**
 * Where jobs go (LAM-002): the record to the job bucket first, then the message to the FIFO job
 * queue, grouped by the owner's `sub` (so one user's jobs keep their order and users do not
 * block each other) and deduplicated by job id, with the metadata the waker and runtime read as
 * message attributes. A record whose message could not be sent is deleted again, so S3 never
 * holds a "queued" job that no queue will deliver.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { type Job, jobKey, jobSchema } from "../lib/job.ts";

export interface JobQueueOptions {
  s3: S3Client;
  sqs: SQSClient;
  bucket: string;
  queueName: string;
  /** Sent as the IdleTime attribute: seconds the GPU may idle before it is stopped. */
  idleTimeSeconds: number;
}

export interface QueueDepth {
  /** Messages waiting (ApproximateNumberOfMessages). */
  depth: number;
  /** Messages received and not yet deleted (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
}

export class JobQueue {
  #o: JobQueueOptions;
  #url: Promise<string> | undefined;

  constructor(options: JobQueueOptions) {
    this.#o = options;
  }

  async enqueue(job: Job): Promise<{ messageId: string | undefined }> {
    const { s3, sqs, bucket } = this.#o;
    const body = JSON.stringify(job);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: jobKey(job.jobId),
        Body: body,
        ContentType: "application/json",
      }),
    );
    try {
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: await this.queueUrl(),
          MessageBody: body,
          MessageGroupId: job.owner,
          MessageDeduplicationId: job.jobId,
          MessageAttributes: {
            IdleTime: { DataType: "Number", StringValue: String(this.#o.idleTimeSeconds) },
            JobType: { DataType: "String", StringValue: "inference" },
            Model: { DataType: "String", StringValue: job.model },
          },
        }),
      );
      return { messageId: sent.MessageId };
    } catch (err) {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: jobKey(job.jobId) })).catch(() => {});
      throw err;
    }
  }

  /** The job record, or undefined when there is none. */
  async get(jobId: string): Promise<Job | undefined> {
    try {
      const out = await this.#o.s3.send(new GetObjectCommand({ Bucket: this.#o.bucket, Key: jobKey(jobId) }));
      const text = (await out.Body?.transformToString("utf8")) ?? "";
      return jobSchema.parse(JSON.parse(text));
    } catch (err) {
      if ((err as Error).name === "NoSuchKey") return undefined;
      throw err;
    }
  }

  async depth(): Promise<QueueDepth> {
    const { Attributes: a = {} } = await this.#o.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.queueUrl(),
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return {
      depth: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Looked up once; a failed lookup is retried on the next call. */
  queueUrl(): Promise<string> {
    this.#url ??= this.#o.sqs
      .send(new GetQueueUrlCommand({ QueueName: this.#o.queueName }))
      .then(({ QueueUrl }) => {
        if (!QueueUrl) throw new Error(`GetQueueUrl ${this.#o.queueName} returned no QueueUrl`);
        return QueueUrl;
      })
      .catch((err: unknown) => {
        this.#url = undefined;
        throw err;
      });
    return this.#url;
  }
}
