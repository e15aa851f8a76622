/**
 * The inference job record: what the gateway writes to the job bucket when it accepts a job and
 * sends as the SQS message body, and what the GPU runtime reads and updates. One schema, so a
 * record written by one service always parses in another.
 */
import { z } from "zod";

export const JOB_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
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
