/**
 * The CloudWatch action table: one entry per AWS action name. Each unpacks the caller's account
 * and region, calls one model function and returns the SDK's `<Action>Output` shape (timestamps
 * as epoch seconds; the query codec rewrites them as ISO 8601).
 */
import type { RequestContext } from "../core/context.ts";
import type { Where } from "../core/ports.ts";
import type { Operation } from "../core/service.ts";
import {
  deleteAlarms,
  describeAlarmHistory,
  describeAlarms,
  describeAlarmsForMetric,
  keyOf,
  putMetricAlarm,
  setActionsEnabled,
  setAlarmState,
} from "./alarms.ts";
import { deleteDashboards, getDashboard, listDashboards, putDashboard } from "./dashboards.ts";
import { getMetricData, getMetricStatistics, listMetrics, putMetricData } from "./metrics.ts";
import type { Model } from "./model.ts";
import { listTagsForResource, tagResource, untagResource } from "./tags.ts";

const where = (ctx: RequestContext): Where => ({ region: ctx.region, accountId: ctx.accountId });

/** `alarmsChanged` lets the scheduler start or stop timers after a configuration change. */
export function cloudWatchOperations(m: Model, alarmsChanged: () => void): Record<string, Operation> {
  return {
    PutMetricData: (input, ctx) => {
      putMetricData(m, keyOf(where(ctx)), input.Namespace, input.MetricData);
      return {};
    },
    GetMetricStatistics: (input, ctx) => getMetricStatistics(m, keyOf(where(ctx)), input),
    GetMetricData: (input, ctx) => getMetricData(m, keyOf(where(ctx)), input),
    ListMetrics: (input, ctx) => listMetrics(m, keyOf(where(ctx)), input),

    PutMetricAlarm: (input, ctx) => {
      putMetricAlarm(m, where(ctx), input);
      alarmsChanged();
      return {};
    },
    DescribeAlarms: (input, ctx) => describeAlarms(m, where(ctx), input),
    DescribeAlarmsForMetric: (input, ctx) => describeAlarmsForMetric(m, where(ctx), input),
    DescribeAlarmHistory: (input, ctx) => describeAlarmHistory(m, where(ctx), input),
    DeleteAlarms: (input, ctx) => {
      deleteAlarms(m, where(ctx), input);
      alarmsChanged();
      return {};
    },
    SetAlarmState: (input, ctx) => {
      setAlarmState(m, where(ctx), input);
      return {};
    },
    EnableAlarmActions: (input, ctx) => {
      setActionsEnabled(m, where(ctx), input, true);
      return {};
    },
    DisableAlarmActions: (input, ctx) => {
      setActionsEnabled(m, where(ctx), input, false);
      return {};
    },

    TagResource: (input, ctx) => {
      tagResource(m, where(ctx), input);
      return {};
    },
    UntagResource: (input, ctx) => {
      untagResource(m, where(ctx), input);
      return {};
    },
    ListTagsForResource: (input, ctx) => listTagsForResource(m, where(ctx), input),

    PutDashboard: (input, ctx) => putDashboard(m, where(ctx), input),
    GetDashboard: (input, ctx) => getDashboard(m, where(ctx), input),
    ListDashboards: (input, ctx) => listDashboards(m, where(ctx), input),
    DeleteDashboards: (input, ctx) => deleteDashboards(m, where(ctx), input),
  };
}
