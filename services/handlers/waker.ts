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
 * `wakeOnEnqueue`; on AWS that is an asynchronous Lambda invoke).
 */
import { StartInstancesCommand } from "@aws-sdk/client-ec2";
import { type HandlerDeps, queueCounts, sleep } from "./aws.ts";
import { findGpuInstance, isIncorrectState } from "./gpu-instance.ts";

export interface WakeOptions {
  /** How long the invocation may wait for a `stopping` instance to be `stopped`. */
  maxWaitMs: number;
  /** DescribeInstances interval while waiting. @defaultValue 1000 */
  pollMs?: number;
}

export interface WakeOutcome {
  /** started: StartInstances succeeded; deferred: still stopping when the budget ran out; none: nothing to do. */
  action: "started" | "deferred" | "none";
  reason: string;
  /** Jobs waiting plus in flight when the waker looked. */
  jobs: number;
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
  const counts = await queueCounts(sqs, config.queues.jobs.name);
  const jobs = counts.visible + counts.inFlight;
  if (jobs === 0) return { action: "none", reason: "no jobs wait", jobs };

  const started = now();
  let first: string | undefined;
  for (;;) {
    const instance = await findGpuInstance(ec2, config.gpu.nameTag);
    if (!instance)
      return {
        action: "none",
        reason: `no instance tagged Name=${config.gpu.nameTag}: provision it (make dev / npm run provision)`,
        jobs,
      };
    first ??= instance.state;
    const base = { jobs, instanceId: instance.instanceId, state: first };
    const waitedMs = now() - started;
    switch (instance.state) {
      case "pending":
      case "running":
        return { action: "none", reason: `the instance is ${instance.state}`, ...base, waitedMs };
      case "stopped":
        try {
          await ec2.send(new StartInstancesCommand({ InstanceIds: [instance.instanceId] }));
          return { action: "started", reason: `${jobs} job(s) wait`, ...base, waitedMs };
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
 * `wake` for the gateway's enqueue hook: one wake at a time, and a burst of enqueues while one
 * runs adds one more run after it (not one per job), so EC2's rate-limited Describe calls stay few.
 */
export function wakeOnEnqueue(deps: HandlerDeps, options: WakeOptions): () => Promise<WakeOutcome> {
  let running: Promise<WakeOutcome> | undefined;
  let next: Promise<WakeOutcome> | undefined;
  const run = (): Promise<WakeOutcome> => {
    const p = wake(deps, options).finally(() => {
      if (running === p) running = undefined;
    });
    running = p;
    return p;
  };
  return () => {
    if (!running) return run();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  };
}
