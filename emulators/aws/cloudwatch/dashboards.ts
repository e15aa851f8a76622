/**
 * Dashboards: Put/Get/List/DeleteDashboards. The body is checked as dashboard JSON (the
 * CloudWatch "Dashboard body structure and syntax" reference): an object with a `widgets` array,
 * each widget of a known type with integer x/y/width/height inside the 24-column grid. Problems
 * become DashboardInvalidInputError (query code InvalidParameterInput) with one
 * DashboardValidationMessage per problem, DataPath in JSON-pointer form as AWS writes it.
 */
import type { Where } from "../core/ports.ts";
import { cwErrors } from "./errors.ts";
import {
  DASHBOARD_COLUMNS,
  DASHBOARD_MAX_HEIGHT,
  DASHBOARD_MAX_WIDGETS,
  LIST_DASHBOARDS_PAGE,
} from "./limits.ts";
import { type Model, paginate, requiredString, seconds, stringList, stringParam } from "./model.ts";
import { type Dashboard, storeKey } from "./state.ts";
import { tagsParam } from "./tags.ts";

type Obj = Record<string, unknown>;
export interface ValidationMessage {
  DataPath: string;
  Message: string;
}

const WIDGET_TYPES = ["metric", "text", "log", "alarm", "explorer"];

const dashboardArn = (w: Where, name: string) => `arn:aws:cloudwatch::${w.accountId}:dashboard/${name}`;

/** Every problem of a dashboard body; empty when it is valid. Pure. */
export function validateDashboardBody(body: string): ValidationMessage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return [
      {
        DataPath: "",
        Message: `The field DashboardBody must be a valid JSON object (${(err as Error).message})`,
      },
    ];
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return [{ DataPath: "", Message: "Should be object" }];
  }
  const problems: ValidationMessage[] = [];
  const root = parsed as Obj;
  if (!("widgets" in root)) return [{ DataPath: "", Message: "Should have required property 'widgets'" }];
  if (!Array.isArray(root.widgets)) return [{ DataPath: "/widgets", Message: "Should be array" }];
  if (root.widgets.length > DASHBOARD_MAX_WIDGETS) {
    problems.push({
      DataPath: "/widgets",
      Message: `Should NOT have more than ${DASHBOARD_MAX_WIDGETS} items`,
    });
  }
  root.widgets.forEach((widget, i) => {
    const at = `/widgets/${i}`;
    if (widget === null || typeof widget !== "object" || Array.isArray(widget)) {
      problems.push({ DataPath: at, Message: "Should be object" });
      return;
    }
    const w = widget as Obj;
    if (!("type" in w)) problems.push({ DataPath: at, Message: "Should have required property 'type'" });
    else if (typeof w.type !== "string" || !WIDGET_TYPES.includes(w.type)) {
      problems.push({
        DataPath: `${at}/type`,
        Message: `Should be equal to one of the allowed values: ${WIDGET_TYPES.join(", ")}`,
      });
    }
    const bounds: Array<[string, number, number]> = [
      ["x", 0, DASHBOARD_COLUMNS - 1],
      ["y", 0, Number.MAX_SAFE_INTEGER],
      ["width", 1, DASHBOARD_COLUMNS],
      ["height", 1, DASHBOARD_MAX_HEIGHT],
    ];
    for (const [field, min, max] of bounds) {
      if (!(field in w)) continue;
      const v = w[field];
      if (typeof v !== "number" || !Number.isInteger(v))
        problems.push({ DataPath: `${at}/${field}`, Message: "Should be integer" });
      else if (v < min)
        problems.push({ DataPath: `${at}/${field}`, Message: `Should be greater than or equal to ${min}` });
      else if (v > max)
        problems.push({ DataPath: `${at}/${field}`, Message: `Should be less than or equal to ${max}` });
    }
    if (w.type === "text") {
      const props = w.properties as Obj | undefined;
      if (!props || typeof props !== "object")
        problems.push({ DataPath: at, Message: "Should have required property 'properties'" });
      else if (typeof props.markdown !== "string") {
        problems.push({ DataPath: `${at}/properties`, Message: "Should have required property 'markdown'" });
      }
    }
    if (["metric", "log", "alarm", "explorer"].includes(String(w.type))) {
      if (w.properties === null || typeof w.properties !== "object" || Array.isArray(w.properties)) {
        problems.push({ DataPath: at, Message: "Should have required property 'properties'" });
      }
    }
  });
  return problems;
}

function nameParam(value: unknown, name: string): string {
  const n = requiredString(value, name);
  if (!/^[A-Za-z0-9_-]+$/.test(n)) {
    throw cwErrors.invalidParameterValue(
      `The value ${n} for parameter ${name} is invalid: dashboard names contain only A-Z, a-z, 0-9, "-" and "_".`,
    );
  }
  return n;
}

export function putDashboard(m: Model, w: Where, input: Obj) {
  const name = nameParam(input.DashboardName, "DashboardName");
  const body = stringParam(input.DashboardBody, "DashboardBody", { required: true }) as string;
  const tags = tagsParam(input.Tags);
  const problems = validateDashboardBody(body);
  if (problems.length > 0) throw cwErrors.dashboardInvalid(problems);
  const k = storeKey(w.accountId, w.region);
  const existing = m.state.stores.get(k)?.dashboards.get(name);
  const d: Dashboard = {
    name,
    arn: dashboardArn(w, name),
    body,
    lastModified: m.clock.now(),
    tags: { ...existing?.tags, ...tags },
  };
  m.record({ t: "dashboard", k, d });
  return { DashboardValidationMessages: [] };
}

export function getDashboard(m: Model, w: Where, input: Obj) {
  const name = requiredString(input.DashboardName, "DashboardName");
  const d = m.state.stores.get(storeKey(w.accountId, w.region))?.dashboards.get(name);
  if (!d) throw cwErrors.dashboardNotFound(name);
  return { DashboardArn: d.arn, DashboardBody: d.body, DashboardName: d.name };
}

export function listDashboards(m: Model, w: Where, input: Obj) {
  const prefix = stringParam(input.DashboardNamePrefix, "DashboardNamePrefix") ?? "";
  const all = [...(m.state.stores.get(storeKey(w.accountId, w.region))?.dashboards.values() ?? [])]
    .filter((d) => d.name.startsWith(prefix))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { page, NextToken } = paginate(all, input.NextToken, LIST_DASHBOARDS_PAGE);
  return {
    DashboardEntries: page.map((d) => ({
      DashboardName: d.name,
      DashboardArn: d.arn,
      LastModified: seconds(d.lastModified),
      Size: Buffer.byteLength(d.body),
    })),
    ...(NextToken && { NextToken }),
  };
}

export function deleteDashboards(m: Model, w: Where, input: Obj) {
  if (input.DashboardNames === undefined) throw cwErrors.missingParameter("DashboardNames");
  const names = stringList(input.DashboardNames, "DashboardNames");
  if (names.length === 0) throw cwErrors.missingParameter("DashboardNames");
  const k = storeKey(w.accountId, w.region);
  const s = m.state.stores.get(k);
  const missing = names.find((n) => !s?.dashboards.has(n));
  if (missing !== undefined) throw cwErrors.dashboardNotFound(missing);
  m.record({ t: "dashboardDeleted", k, names });
  return {};
}
