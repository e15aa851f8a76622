/**
 * The inference job record: what the gateway writes to the job bucket when it accepts a job and
 * sends as the SQS message body, and what the GPU runtime reads and updates. One schema, so a
 * record written by one service always parses in another.
 */
import { z } from "zod";

/**
 * queued -> running -> succeeded; a failed attempt goes back to queued until the queue's
 * maxReceiveCount, then the DLQ handler marks it dead-lettered. `failed` is final: a job the
 * runtime refuses outright (e.g. a prompt longer than the model's context).
 */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "dead-lettered"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const jobSchema = z.object({
  jobId: z.uuid(),
  /** The Cognito `sub` of the user who submitted it; only they may read it. */
  owner: z.string().min(1),
  prompt: z.string().min(1),
  maxTokens: z.int().min(1),
  status: z.enum(JOB_STATUSES),
  model: z.string().min(1),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Deliveries so far (SQS ApproximateReceiveCount of the latest). */
  attempts: z.int().min(0).optional(),
  output: z.string().optional(),
  /** Why the latest attempt failed, or why the job was dead-lettered. */
  error: z.string().optional(),
  usage: z.object({ promptTokens: z.int().min(0), completionTokens: z.int().min(0) }).optional(),
  /** Milliseconds of each phase, and decode speed. */
  timings: z
    .object({
      queueWaitMs: z.number().min(0).optional(),
      bootMs: z.number().min(0).optional(),
      loadMs: z.number().min(0).optional(),
      inferenceMs: z.number().min(0).optional(),
      tokensPerSecond: z.number().min(0).optional(),
    })
    .optional(),
  /** The inference backend that ran it (cpu, cuda, ...). */
  backend: z.string().optional(),
  startedAt: z.iso.datetime().optional(),
  finishedAt: z.iso.datetime().optional(),
});

export type Job = z.infer<typeof jobSchema>;

export interface NewJob {
  jobId: string;
  owner: string;
  prompt: string;
  maxTokens: number;
  model: string;
  /** Epoch milliseconds. */
  now: number;
}

export function newJob({ jobId, owner, prompt, maxTokens, model, now }: NewJob): Job {
  const at = new Date(now).toISOString();
  return jobSchema.parse({
    jobId,
    owner,
    prompt,
    maxTokens,
    status: "queued",
    model,
    createdAt: at,
    updatedAt: at,
  });
}

/** Where a job's record lives in the job bucket. */
export const jobKey = (jobId: string): string => `jobs/${jobId}.json`;

/** True when `id` has the shape of a job id (a UUID), so lookups of junk never reach S3. */
export const isJobId = (id: string): boolean => z.uuid().safeParse(id).success;

/** The record after a transition: the new status and fields, `updatedAt` moved to `now`. */
export function transition(job: Job, status: JobStatus, patch: Partial<Job>, now: number): Job {
  return jobSchema.parse({ ...job, ...patch, status, updatedAt: new Date(now).toISOString() });
}
