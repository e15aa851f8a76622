/**
 * The CloudWatch Logs action table: one entry per AWS action name. Each unpacks its input, calls
 * the model and shapes the output as the SDK's `<Action>Response`. Wire formats are the codec's.
 */
import type { RequestContext } from "../core/context.ts";
import type { Input, Operation } from "../core/service.ts";
import { logsErrors } from "./errors.ts";
import { DESCRIBE_LIMIT, EVENT_OVERHEAD_BYTES, EVENTS_LIMIT, MAX_RESPONSE_BYTES } from "./limits.ts";
import {
  before,
  checkTags,
  compilePattern,
  createLogGroup,
  createLogStream,
  deleteLogGroup,
  deleteLogStream,
  deleteMetricFilter,
  deleteRetentionPolicy,
  type EventKey,
  eventId,
  eventsInRange,
  filterEvents,
  getGroup,
  getStream,
  groupFromArn,
  listGroups,
  type Model,
  putLogEvents,
  putMetricFilter,
  putRetentionPolicy,
  resolveGroup,
  storedBytes,
  streamArn,
  tagGroup,
  untagGroup,
} from "./model.ts";
import type { LogEvent, LogGroup, LogStream } from "./state.ts";

const invalid = logsErrors.invalidParameter;

function integer(name: string, value: unknown, range: { min: number; max: number }): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max) {
    throw invalid(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: Member must have value between ${range.min} and ${range.max}`,
    );
  }
  return value;
}

function timestamp(name: string, value: unknown): number | undefined {
  return integer(name, value, { min: 0, max: Number.MAX_SAFE_INTEGER });
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(`${name} must be a string.`);
  return value;
}

/** Offset tokens for the Describe* listings. */
function paginate<T>(items: T[], limit: unknown, token: unknown): { page: T[]; nextToken?: string } {
  const max = integer("limit", limit, DESCRIBE_LIMIT) ?? DESCRIBE_LIMIT.default;
  let start = 0;
  if (token !== undefined && token !== null) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(String(token), "base64url").toString("utf8"));
    if (!decoded) throw invalid("The specified nextToken is invalid.");
    start = Number(decoded[1]);
  }
  const page = items.slice(start, start + max);
  const next = start + page.length;
  return { page, ...(next < items.length && { nextToken: Buffer.from(`o${next}`).toString("base64url") }) };
}

const keyText = (k: EventKey) => `${String(k.ts).padStart(20, "0")}${String(k.seq).padStart(36, "0")}`;

function parseKey(token: string): { dir: "f" | "b"; key: EventKey } {
  const m = /^([fb])\/(\d{20})(\d{36})$/.exec(token);
  if (!m) throw invalid("The specified nextToken is invalid.");
  return { dir: m[1] as "f" | "b", key: { ts: Number(m[2]), seq: Number(m[3]) } };
}

/** Takes events from the front (or back) until the limit or ~1 MB of answer. */
function take(events: LogEvent[], limit: number | undefined, fromEnd: boolean): LogEvent[] {
  const max = limit ?? EVENTS_LIMIT.default;
  const out: LogEvent[] = [];
  let bytes = 0;
  for (let i = 0; i < events.length && out.length < max; i++) {
    const e = events[fromEnd ? events.length - 1 - i : i] as LogEvent;
    bytes += Buffer.byteLength(e.msg, "utf8") + EVENT_OVERHEAD_BYTES;
    if (bytes > MAX_RESPONSE_BYTES && out.length > 0) break;
    out.push(e);
  }
  return fromEnd ? out.reverse() : out;
}

function groupView(g: LogGroup) {
  return {
    logGroupName: g.name,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined && { retentionInDays: g.retentionInDays }),
    metricFilterCount: g.filters.size,
    arn: `${g.arn}:*`,
    storedBytes: storedBytes(g),
    ...(g.kmsKeyId !== undefined && { kmsKeyId: g.kmsKeyId }),
    logGroupClass: g.logGroupClass,
    logGroupArn: g.arn,
    deletionProtectionEnabled: g.deletionProtectionEnabled ?? false,
  };
}

function streamView(g: LogGroup, s: LogStream) {
  return {
    logStreamName: s.name,
    creationTime: s.creationTime,
    ...(s.firstEventTimestamp !== undefined && { firstEventTimestamp: s.firstEventTimestamp }),
    ...(s.lastEventTimestamp !== undefined && { lastEventTimestamp: s.lastEventTimestamp }),
    ...(s.lastIngestionTime !== undefined && { lastIngestionTime: s.lastIngestionTime }),
    arn: streamArn(g, s.name),
    // "As of June 17, 2019, this parameter is no longer supported ... always reported as zero."
    storedBytes: 0,
  };
}

export function logsOperations(m: Model): Record<string, Operation> {
  const where = (ctx: RequestContext) => ({ region: ctx.region, accountId: ctx.accountId });
  const group = (input: Input, ctx: RequestContext) =>
    resolveGroup(m, where(ctx), input.logGroupName, input.logGroupIdentifier);

  return {
    CreateLogGroup: (input, ctx) => {
      createLogGroup(m, where(ctx), {
        name: input.logGroupName,
        tags: input.tags,
        kmsKeyId: input.kmsKeyId,
        logGroupClass: input.logGroupClass,
        deletionProtection: input.deletionProtectionEnabled,
      });
      return {};
    },

    DeleteLogGroup: (input, ctx) => {
      deleteLogGroup(m, where(ctx), input.logGroupName);
      return {};
    },

    DescribeLogGroups: (input, ctx) => {
      const prefix = optionalString("logGroupNamePrefix", input.logGroupNamePrefix);
      const pattern = optionalString("logGroupNamePattern", input.logGroupNamePattern);
      if (prefix !== undefined && pattern !== undefined) {
        throw invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.");
      }
      const ids = input.logGroupIdentifiers as unknown;
      if (ids !== undefined && !Array.isArray(ids)) throw invalid("logGroupIdentifiers must be a list.");
      const cls = optionalString("logGroupClass", input.logGroupClass);
      const groups = listGroups(m, where(ctx)).filter(
        (g) =>
          (prefix === undefined || g.name.startsWith(prefix)) &&
          (pattern === undefined || g.name.includes(pattern)) &&
          (cls === undefined || g.logGroupClass === cls) &&
          (!Array.isArray(ids) || ids.some((id) => id === g.name || id === g.arn || id === `${g.arn}:*`)),
      );
      const { page, nextToken } = paginate(groups, input.limit, input.nextToken);
      // "If you specify logGroupNamePattern ... only arn, creationTime, and logGroupName are included."
      const logGroups = page.map((g) =>
        pattern === undefined
          ? groupView(g)
          : { logGroupName: g.name, creationTime: g.creationTime, arn: `${g.arn}:*` },
      );
      return { logGroups, ...(nextToken && { nextToken }) };
    },

    PutRetentionPolicy: (input, ctx) => {
      putRetentionPolicy(m, where(ctx), input.logGroupName, input.retentionInDays);
      return {};
    },

    DeleteRetentionPolicy: (input, ctx) => {
      deleteRetentionPolicy(m, where(ctx), input.logGroupName);
      return {};
    },

    CreateLogStream: (input, ctx) => {
      createLogStream(m, getGroup(m, where(ctx), input.logGroupName), input.logStreamName);
      return {};
    },

    DeleteLogStream: (input, ctx) => {
      deleteLogStream(m, getGroup(m, where(ctx), input.logGroupName), input.logStreamName);
      return {};
    },

    DescribeLogStreams: (input, ctx) => {
      const g = group(input, ctx);
      const prefix = optionalString("logStreamNamePrefix", input.logStreamNamePrefix);
      const orderBy = input.orderBy ?? "LogStreamName";
      if (orderBy !== "LogStreamName" && orderBy !== "LastEventTime") {
        throw invalid(`Invalid orderBy '${String(orderBy)}': LogStreamName or LastEventTime.`);
      }
      if (orderBy === "LastEventTime" && prefix !== undefined) {
        throw invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
      }
      const byName = (a: LogStream, b: LogStream) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      const streams = [...g.streams.values()]
        .filter((s) => prefix === undefined || s.name.startsWith(prefix))
        .sort(
          orderBy === "LogStreamName"
            ? byName
            : (a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0) || byName(a, b),
        );
      if (input.descending === true) streams.reverse();
      const { page, nextToken } = paginate(streams, input.limit, input.nextToken);
      return { logStreams: page.map((s) => streamView(g, s)), ...(nextToken && { nextToken }) };
    },

    PutLogEvents: (input, ctx) => {
      const g = getGroup(m, where(ctx), input.logGroupName);
      const s = getStream(g, input.logStreamName);
      const rejected = putLogEvents(m, where(ctx), g, s, input.logEvents);
      return {
        // Deprecated and ignored by AWS, still returned for clients that pass it back.
        nextSequenceToken: String(m.state.seq).padStart(56, "0"),
        ...(Object.keys(rejected).length > 0 && { rejectedLogEventsInfo: rejected }),
      };
    },

    GetLogEvents: (input, ctx) => {
      const g = group(input, ctx);
      const s = getStream(g, input.logStreamName);
      const limit = integer("limit", input.limit, EVENTS_LIMIT);
      const events = eventsInRange(
        m,
        g,
        s,
        timestamp("startTime", input.startTime),
        timestamp("endTime", input.endTime),
      );
      const token = optionalString("nextToken", input.nextToken);
      let page: LogEvent[];
      let cursor: EventKey | undefined;
      if (token !== undefined) {
        const { dir, key } = parseKey(token);
        cursor = key;
        page =
          dir === "f"
            ? take(
                events.filter((e) => before(key, e)),
                limit,
                false,
              )
            : take(
                events.filter((e) => before(e, key)),
                limit,
                true,
              );
      } else {
        page = take(events, limit, input.startFromHead !== true);
      }
      const first = page[0];
      const last = page.at(-1);
      const zero = { ts: 0, seq: 0 };
      return {
        events: page.map((e) => ({ timestamp: e.ts, message: e.msg, ingestionTime: e.ing })),
        // At the end of the stream, the token passed in comes back.
        nextForwardToken: `f/${keyText(last ?? cursor ?? zero)}`,
        nextBackwardToken: `b/${keyText(first ?? cursor ?? zero)}`,
      };
    },

    FilterLogEvents: (input, ctx) => {
      const g = group(input, ctx);
      const names = input.logStreamNames as unknown;
      const prefix = optionalString("logStreamNamePrefix", input.logStreamNamePrefix);
      if (names !== undefined && prefix !== undefined) {
        throw invalid("logStreamNames and logStreamNamePrefix are mutually exclusive.");
      }
      if (names !== undefined && (!Array.isArray(names) || names.length < 1 || names.length > 100)) {
        throw invalid("logStreamNames must hold 1 to 100 names.");
      }
      const streams = [...g.streams.values()].filter(
        (s) =>
          (prefix === undefined || s.name.startsWith(prefix)) &&
          (!Array.isArray(names) || names.includes(s.name)),
      );
      const pattern = compilePattern(m, optionalString("filterPattern", input.filterPattern) ?? "");
      const limit = integer("limit", input.limit, EVENTS_LIMIT);
      const matched = filterEvents(
        m,
        g,
        streams,
        pattern,
        timestamp("startTime", input.startTime),
        timestamp("endTime", input.endTime),
      );
      let forward = input.startFromHead !== false;
      let rest = matched;
      const token = optionalString("nextToken", input.nextToken);
      if (token !== undefined) {
        const { dir, key } = parseKey(Buffer.from(token, "base64url").toString("utf8"));
        forward = dir === "f";
        rest = matched.filter((e) => (forward ? before(key, e) : before(e, key)));
      }
      if (!forward) rest = [...rest].reverse();
      const page = take(rest, limit, false) as typeof matched;
      const last = page.at(-1);
      const more = page.length < rest.length && last;
      return {
        events: page.map((e) => ({
          logStreamName: e.stream,
          timestamp: e.ts,
          message: e.msg,
          ingestionTime: e.ing,
          eventId: eventId(e),
        })),
        // "As of May 15, 2020, this parameter is no longer supported ... returns an empty list."
        searchedLogStreams: [],
        ...(more && {
          nextToken: Buffer.from(`${forward ? "f" : "b"}/${keyText(last)}`).toString("base64url"),
        }),
      };
    },

    PutMetricFilter: (input, ctx) => {
      putMetricFilter(m, getGroup(m, where(ctx), input.logGroupName), {
        filterName: input.filterName,
        filterPattern: input.filterPattern,
        metricTransformations: input.metricTransformations,
      });
      return {};
    },

    DeleteMetricFilter: (input, ctx) => {
      deleteMetricFilter(m, getGroup(m, where(ctx), input.logGroupName), input.filterName);
      return {};
    },

    DescribeMetricFilters: (input, ctx) => {
      const prefix = optionalString("filterNamePrefix", input.filterNamePrefix);
      const metricName = optionalString("metricName", input.metricName);
      const namespace = optionalString("metricNamespace", input.metricNamespace);
      if ((metricName === undefined) !== (namespace === undefined)) {
        throw invalid("metricName and metricNamespace must be given together.");
      }
      const groups =
        input.logGroupName !== undefined
          ? [getGroup(m, where(ctx), input.logGroupName)]
          : listGroups(m, where(ctx));
      const filters = groups.flatMap((g) =>
        [...g.filters.values()]
          .filter(
            (f) =>
              (prefix === undefined || input.logGroupName === undefined || f.filterName.startsWith(prefix)) &&
              (metricName === undefined ||
                f.metricTransformations.some(
                  (t) => t.metricName === metricName && t.metricNamespace === namespace,
                )),
          )
          .sort((a, b) => (a.filterName < b.filterName ? -1 : a.filterName > b.filterName ? 1 : 0))
          .map((f) => ({ ...structuredClone(f), logGroupName: g.name })),
      );
      const { page, nextToken } = paginate(filters, input.limit, input.nextToken);
      return { metricFilters: page, ...(nextToken && { nextToken }) };
    },

    TagResource: (input) => {
      tagGroup(m, groupFromArn(m, input.resourceArn), checkTags(input.tags));
      return {};
    },

    UntagResource: (input) => {
      untagGroup(m, groupFromArn(m, input.resourceArn), input.tagKeys);
      return {};
    },

    ListTagsForResource: (input) => ({ tags: { ...groupFromArn(m, input.resourceArn).tags } }),

    // The deprecated name-based tagging actions.
    TagLogGroup: (input, ctx) => {
      tagGroup(m, getGroup(m, where(ctx), input.logGroupName), checkTags(input.tags));
      return {};
    },

    UntagLogGroup: (input, ctx) => {
      untagGroup(m, getGroup(m, where(ctx), input.logGroupName), input.tags);
      return {};
    },

    ListTagsLogGroup: (input, ctx) => ({ tags: { ...getGroup(m, where(ctx), input.logGroupName).tags } }),
  };
}
