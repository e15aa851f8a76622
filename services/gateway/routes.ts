/**
 * The API's routes (ARCHITECTURE.md, gateway table), one entry each: method, path, whether it is
 * public and takes a JSON body, and its handler. match-route.ts finds the entry, the middleware
 * in between use its flags, and dispatch runs its handler.
 */
import type { Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { isJobId, type Job, newJob } from "../lib/job.ts";
import type { Logger } from "../lib/logger.ts";
import { HttpError } from "./errors.ts";
import type { GpuInstances } from "./gpu-instance.ts";
import type { JobQueue } from "./job-queue.ts";

export interface Route {
  method: "GET" | "POST";
  /** API Gateway style, e.g. `/jobs/{id}`. */
  path: string;
  /** `METHOD path`, as API Gateway's `$context.routeKey`. */
  key: string;
  pattern: RegExp;
  /** No token needed (and no per-user throttle). */
  public: boolean;
  /** Takes a JSON body (415/413/400 before the handler runs). */
  jsonBody: boolean;
  handle: (req: Request, res: Response) => void | Promise<void>;
}

export interface RouteDeps {
  jobs: JobQueue;
  gpu: GpuInstances;
  /** Model name recorded in each job. */
  model: string;
  /** Largest maxTokens a job may ask for; also the default. */
  maxTokens: number;
  now: () => number;
  newId: () => string;
  /** Runs after a job is queued (the next issue wakes the GPU here); its failure does not fail the request. */
  onEnqueue?: (job: Job) => void | Promise<void>;
  logger: Logger;
  /** How long /ping reuses one reading of the queue and the GPU. @defaultValue 1000 */
  pingCacheMs?: number;
}

export function createRoutes(deps: RouteDeps): Route[] {
  return [
    route("POST", "/infer", infer(deps), { jsonBody: true }),
    route("GET", "/jobs/{id}", getJob(deps)),
    route("POST", "/stop", stop(deps)),
    route("GET", "/ping", ping(deps)),
    route("GET", "/healthz", (_req, res) => void res.json({ status: "ok" }), { public: true }),
  ];
}

export function route(
  method: Route["method"],
  path: string,
  handle: Route["handle"],
  flags: { public?: boolean; jsonBody?: boolean } = {},
): Route {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{(\w+)\\?\}/g, "(?<$1>[^/]+)");
  return {
    method,
    path,
    key: `${method} ${path}`,
    pattern: new RegExp(`^${source}$`),
    public: flags.public ?? false,
    jsonBody: flags.jsonBody ?? false,
    handle,
  };
}

/** Runs the matched route's handler. */
export const dispatch = (): RequestHandler => async (req, res) => {
  const matched = res.locals.route;
  if (!matched) throw new Error("dispatch reached without a matched route");
  await matched.handle(req, res);
};

function inferBody(maxTokens: number) {
  const prompt = "prompt must be a non-empty string";
  const tokens = `maxTokens must be an integer 1..${maxTokens}`;
  return z.strictObject(
    {
      prompt: z.string({ error: prompt }).refine((s) => s.trim().length > 0, { error: prompt }),
      maxTokens: z
        .int({ error: tokens })
        .min(1, { error: tokens })
        .max(maxTokens, { error: tokens })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `unknown field ${issue.keys.join(", ")}: send only prompt and maxTokens`
          : "the body must be a JSON object: {prompt, maxTokens?}",
    },
  );
}

function infer(deps: RouteDeps): Route["handle"] {
  const schema = inferBody(deps.maxTokens);
  return async (req, res) => {
    const parsed = schema.safeParse(req.body);
    if (!parsed.success)
      throw new HttpError(400, "bad_request", parsed.error.issues[0]?.message ?? "bad body");
    const caller = res.locals.caller as { sub: string };
    const job = newJob({
      jobId: deps.newId(),
      owner: caller.sub,
      prompt: parsed.data.prompt,
      maxTokens: parsed.data.maxTokens ?? deps.maxTokens,
      model: deps.model,
      now: deps.now(),
    });
    try {
      await deps.jobs.enqueue(job);
    } catch (err) {
      throw new HttpError(503, "unavailable", "the job could not be queued; nothing was accepted, retry", {
        cause: err,
      });
    }
    if (deps.onEnqueue) {
      const hook = deps.onEnqueue;
      void Promise.resolve()
        .then(() => hook(job))
        .catch((err: unknown) => deps.logger.error({ err, jobId: job.jobId }, "enqueue hook failed"));
    }
    res.status(202).json({ jobId: job.jobId, status: job.status });
  };
}

function getJob(deps: RouteDeps): Route["handle"] {
  return async (_req, res) => {
    const id = res.locals.params?.id ?? "";
    const job = isJobId(id) ? await deps.jobs.get(id) : undefined;
    // Someone else's job answers like a missing one: ids must not leak whose they are.
    if (!job || job.owner !== res.locals.caller?.sub) throw new HttpError(404, "not_found", `no job ${id}`);
    res.json(job);
  };
}

/**
 * Queue depth and GPU state, shared by all callers for `pingCacheMs` (default 1 s): a busy /ping
 * must not turn into as many SQS and EC2 calls (EC2's Describe* APIs are rate-limited per account).
 */
function ping(deps: RouteDeps): Route["handle"] {
  const ttl = deps.pingCacheMs ?? 1000;
  let cached: { at: number; body: Promise<object> } | undefined;
  const read = async () => {
    const [queue, gpu] = await Promise.all([
      deps.jobs.depth().catch((err: unknown) => {
        throw new HttpError(503, "unavailable", "the job queue cannot be read", { cause: err });
      }),
      deps.gpu.find().then(
        (found) => (found ? { state: found.state, instanceType: found.instanceType } : { state: "none" }),
        (err: unknown) => {
          deps.logger.warn({ err }, "EC2 DescribeInstances failed; GPU state unknown");
          return { state: "unknown" };
        },
      ),
    ]);
    return { status: "ok", gpu, queue };
  };
  return async (_req, res) => {
    const now = deps.now();
    if (!cached || now - cached.at >= ttl) {
      const body = read();
      cached = { at: now, body };
      body.catch(() => {
        if (cached?.body === body) cached = undefined;
      });
    }
    res.json(await cached.body);
  };
}

function stop(deps: RouteDeps): Route["handle"] {
  return async (_req, res) => {
    const found = await deps.gpu.find().catch((err: unknown) => {
      throw ec2Unavailable(err);
    });
    if (!found)
      throw new HttpError(409, "no_instance", `no GPU instance tagged Name=${deps.gpu.nameTag} to stop`);
    const state = await deps.gpu.stop(found.instanceId).catch((err: unknown) => {
      if ((err as Error).name !== "IncorrectInstanceState") throw ec2Unavailable(err);
      throw new HttpError(
        409,
        "incorrect_state",
        `the GPU instance ${found.instanceId} is ${found.state}: it can be stopped once it is running`,
        { cause: err },
      );
    });
    res.status(202).json({ instanceId: found.instanceId, previousState: found.state, state });
  };
}

const ec2Unavailable = (err: unknown) =>
  new HttpError(503, "unavailable", "EC2 cannot be reached to stop the GPU instance", { cause: err });
