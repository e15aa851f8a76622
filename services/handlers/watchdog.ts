/**
 * The idle watchdog (EC2-003, without the seed's receive_message, which would steal a job): stops
 * the GPU instance when all of these hold:
 *
 * - it is `running`, and has been for at least the idle time since its LaunchTime (a fresh boot
 *   gets the whole idle time to load the model and take its first job);
 * - the job queue is empty: nothing visible, in flight or delayed;
 * - no job finished within the idle time: the runtime's `JobDurationMs` metric (one datapoint per
 *   finished job, in `config.metricNamespace`) has no sample in that window.
 *
 * The metric is read for every dimension set it was published with (ListMetrics, then one
 * GetMetricData query per set), so the watchdog does not depend on which dimensions the runtime
 * chooses. On AWS a dimension set first published minutes ago may not be listed yet; the
 * LaunchTime rule covers the first job after a boot.
 *
 * A stop that races a new job is safe: the waker starts a `stopping` instance again once it is
 * stopped, and a job in flight returns to the queue when its visibility timeout ends.
 */
import { GetMetricDataCommand, ListMetricsCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { StopInstancesCommand } from "@aws-sdk/client-ec2";
import { type HandlerDeps, queueCounts } from "./aws.ts";
import { findGpuInstance, isIncorrectState } from "./gpu-instance.ts";

/** The runtime's per-job metric, in milliseconds (one sample per finished job). */
export const JOB_DURATION_METRIC = "JobDurationMs";

export interface WatchOptions {
  /** Seconds without work before the instance is stopped. @defaultValue config.gpu.idleStopSeconds */
  idleStopSeconds?: number;
}

export interface WatchOutcome {
  action: "stopped" | "none";
  reason: string;
  instanceId?: string;
  state?: string;
  /** Seconds since the instance's LaunchTime. */
  upSeconds?: number;
  /** Jobs finished within the idle window. */
  recentJobs?: number;
  idleStopSeconds: number;
}

export async function watch(deps: HandlerDeps, options: WatchOptions = {}): Promise<WatchOutcome> {
  const { config, sqs, ec2 } = deps;
  const now = (deps.now ?? Date.now)();
  const idleStopSeconds = options.idleStopSeconds ?? config.gpu.idleStopSeconds;
  const idle = { idleStopSeconds };

  const instance = await findGpuInstance(ec2, config.gpu.nameTag);
  if (!instance) return { action: "none", reason: `no instance tagged Name=${config.gpu.nameTag}`, ...idle };
  const base = { instanceId: instance.instanceId, state: instance.state, ...idle };
  if (instance.state !== "running")
    return { action: "none", reason: `the instance is ${instance.state}`, ...base };

  const upSeconds = instance.launchedAt === undefined ? Infinity : (now - instance.launchedAt) / 1000;
  if (upSeconds < idleStopSeconds)
    return {
      action: "none",
      reason: `up for ${Math.floor(upSeconds)} s, less than the idle time`,
      ...base,
      upSeconds,
    };

  const counts = await queueCounts(sqs, config.queues.jobs.name);
  if (counts.visible + counts.inFlight + counts.delayed > 0)
    return {
      action: "none",
      reason: `jobs in the queue: ${counts.visible} waiting, ${counts.inFlight} in flight, ${counts.delayed} delayed`,
      ...base,
      upSeconds,
    };

  const recentJobs = await jobsFinishedSince(deps, now - idleStopSeconds * 1000, now);
  if (recentJobs > 0)
    return {
      action: "none",
      reason: `${recentJobs} job(s) finished in the last ${idleStopSeconds} s`,
      ...base,
      upSeconds,
      recentJobs,
    };

  try {
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instance.instanceId] }));
  } catch (err) {
    if (!isIncorrectState(err)) throw err;
    return { action: "none", reason: "the instance changed state meanwhile", ...base, upSeconds };
  }
  return {
    action: "stopped",
    reason: `idle: queue empty and no job finished in ${idleStopSeconds} s`,
    ...base,
    upSeconds,
    recentJobs,
  };
}

/** Samples of JobDurationMs between `from` and `to` (epoch ms), over every dimension set. */
export async function jobsFinishedSince(deps: HandlerDeps, from: number, to: number): Promise<number> {
  const { cloudwatch, config } = deps;
  const metrics: Array<{ Name: string; Value: string }[]> = [[]];
  let NextToken: string | undefined;
  do {
    const page = await cloudwatch.send(
      new ListMetricsCommand({
        Namespace: config.metricNamespace,
        MetricName: JOB_DURATION_METRIC,
        NextToken,
      }),
    );
    for (const m of page.Metrics ?? []) {
      const dims = (m.Dimensions ?? []).flatMap((d) =>
        d.Name && d.Value !== undefined ? [{ Name: d.Name, Value: d.Value }] : [],
      );
      if (dims.length > 0) metrics.push(dims);
    }
    NextToken = page.NextToken;
  } while (NextToken);

  // Periods under a minute suit short (test, demo) windows; longer ones read per minute.
  const windowS = Math.max(1, Math.ceil((to - from) / 1000));
  const period = windowS <= 60 ? 1 : 60;
  let total = 0;
  for (let i = 0; i < metrics.length; i += 500) {
    const queries: MetricDataQuery[] = metrics.slice(i, i + 500).map((Dimensions, n) => ({
      Id: `m${n}`,
      MetricStat: {
        Metric: { Namespace: config.metricNamespace, MetricName: JOB_DURATION_METRIC, Dimensions },
        Period: period,
        Stat: "SampleCount",
      },
      ReturnData: true,
    }));
    let token: string | undefined;
    do {
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(from),
          EndTime: new Date(to + 1000),
          NextToken: token,
        }),
      );
      for (const r of out.MetricDataResults ?? []) for (const v of r.Values ?? []) total += v;
      token = out.NextToken;
    } while (token);
  }
  return total;
}
