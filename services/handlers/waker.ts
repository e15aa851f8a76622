/**
 * The waker (LAM-003, as ARCHITECTURE.md corrects it): when jobs wait in the job queue
 * (ApproximateNumberOfMessages + NotVisible > 0), make sure the GPU instance is booting or up. It
 * never receives from the queue: the runtime on the instance consumes it, so a job does not burn
 * its receives while the instance boots.
 *
 * By state: `stopped` -> StartInstances. `stopping` (the watchdog just stopped it, or `/stop`) ->
 * EC2 refuses a start until it is stopped, so the waker polls DescribeInstances until it is, and
 * starts it then, within the same invocation, for as long as its time budget allows (the Lambda
 * timeout less a margin). If it is still stopping when the budget runs out the invocation reports
 * `deferred` and the next scheduled run starts it. `pending` / `running`: nothing to do.
 * A start that races another (two wakes at once) sees IncorrectInstanceState, looks again and
 * settles on what it finds.
 *
 * Runs on a schedule (`handler`, see waker.handler.ts) and after each enqueue (the gateway calls
 * `wakeOnEnqueue`; on AWS that is an asynchronous Lambda invoke). After an enqueue a job is known
 * to wait, so the queue is not counted: on the warm path the wake is one DescribeInstances, which
 * matters where the gateway shares a laptop's cores with the model that just took the job.
 */
import { StartInstancesCommand } from "@aws-sdk/client-ec2";
import { type HandlerDeps, queueCounts, sleep } from "./aws.ts";
import { findGpuInstance, isIncorrectState } from "./gpu-instance.ts";

export interface WakeOptions {
  /** How long the invocation may wait for a `stopping` instance to be `stopped`. */
  maxWaitMs: number;
  /** DescribeInstances interval while waiting. @defaultValue 1000 */
  pollMs?: number;
  /** The caller just enqueued a job: it waits (visible or in flight), so the queue is not counted. */
  afterEnqueue?: boolean;
}

export interface WakeOutcome {
  /** started: StartInstances succeeded; deferred: still stopping when the budget ran out; none: nothing to do. */
  action: "started" | "deferred" | "none";
  reason: string;
  /** Jobs waiting plus in flight when the waker looked; absent after an enqueue (not counted). */
  jobs?: number;
  instanceId?: string;
  /** The instance's state when the waker first looked. */
  state?: string;
  /** Time spent waiting for a stopping instance. */
  waitedMs?: number;
}

export async function wake(deps: HandlerDeps, options: WakeOptions): Promise<WakeOutcome> {
  const { config, sqs, ec2 } = deps;
  const now = deps.now ?? Date.now;
  const pollMs = options.pollMs ?? 1000;
  let jobs: number | undefined;
  if (!options.afterEnqueue) {
    const counts = await queueCounts(sqs, config.queues.jobs.name);
    jobs = counts.visible + counts.inFlight;
    if (jobs === 0) return { action: "none", reason: "no jobs wait", jobs };
  }
  const counted = jobs === undefined ? {} : { jobs };

  const started = now();
  let first: string | undefined;
  for (;;) {
    const instance = await findGpuInstance(ec2, config.gpu.nameTag);
    if (!instance)
      return {
        action: "none",
        reason: `no instance tagged Name=${config.gpu.nameTag}: provision it (make dev / npm run provision)`,
        ...counted,
      };
    first ??= instance.state;
    const base = { ...counted, instanceId: instance.instanceId, state: first };
    const waitedMs = now() - started;
    switch (instance.state) {
      case "pending":
      case "running":
        return { action: "none", reason: `the instance is ${instance.state}`, ...base, waitedMs };
      case "stopped":
        try {
          await ec2.send(new StartInstancesCommand({ InstanceIds: [instance.instanceId] }));
          return {
            action: "started",
            reason: jobs === undefined ? "a job was enqueued" : `${jobs} job(s) wait`,
            ...base,
            waitedMs,
          };
        } catch (err) {
          if (!isIncorrectState(err)) throw err;
          break; // it changed under us: look again
        }
      case "stopping":
        break;
      default:
        return { action: "none", reason: `the instance is ${instance.state}: it cannot be started`, ...base };
    }
    if (now() - started + pollMs > options.maxWaitMs)
      return {
        action: "deferred",
        reason: `the instance is still ${instance.state} after ${now() - started} ms: the next scheduled run starts it`,
        ...base,
        waitedMs: now() - started,
      };
    await sleep(pollMs);
  }
}

/**
 * `wake` for the gateway's enqueue hook: at most one wake every `minIntervalMs`, and the enqueues
 * in between share one trailing wake at the end of that interval (never none), so a stream of jobs
 * costs EC2 one Describe call a second rather than one per job, while the first job after a quiet
 * spell wakes the instance at once.
 */
export function wakeOnEnqueue(
  deps: HandlerDeps,
  options: WakeOptions & {
    /** @defaultValue 1000 */
    minIntervalMs?: number;
  },
): () => Promise<WakeOutcome> {
  const interval = options.minIntervalMs ?? 1000;
  const now = deps.now ?? Date.now;
  let lastStart = Number.NEGATIVE_INFINITY;
  let running: Promise<WakeOutcome> | undefined;
  let next: Promise<WakeOutcome> | undefined;
  const run = (): Promise<WakeOutcome> => {
    lastStart = now();
    const p = wake(deps, { ...options, afterEnqueue: true }).finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return () => {
    if (next) return next;
    if (!running && now() - lastStart >= interval) return run();
    next = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => sleep(Math.max(0, lastStart + interval - now())))
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  };
}
