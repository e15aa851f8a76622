/** Tags on alarms and dashboards: TagResource, UntagResource, ListTagsForResource by ARN. */
import type { Where } from "../core/ports.ts";
import { cwErrors } from "./errors.ts";
import { MAX_TAG_KEY, MAX_TAG_VALUE, MAX_TAGS } from "./limits.ts";
import { listParam, type Model, requiredString, stringList, stringParam } from "./model.ts";
import { storeKey } from "./state.ts";

type Obj = Record<string, unknown>;

/** `[{Key, Value}]` -> a map; checks AWS's lengths and count. */
export function tagsParam(value: unknown, name = "Tags"): Record<string, string> {
  const out: Record<string, string> = {};
  listParam(value, name, MAX_TAGS).forEach((t, i) => {
    const path = `${name}.member.${i + 1}`;
    if (t === null || typeof t !== "object") throw cwErrors.invalidValue(path, t);
    const tag = t as Obj;
    const key = requiredString(tag.Key, `${path}.Key`, MAX_TAG_KEY);
    if (key.startsWith("aws:"))
      throw cwErrors.invalidParameterValue(`Tag keys starting with "aws:" are reserved (${path}.Key).`);
    out[key] = stringParam(tag.Value, `${path}.Value`, { required: true, max: MAX_TAG_VALUE }) as string;
  });
  return out;
}

/** The alarm or dashboard an ARN names, with a way to store new tags. */
function resource(m: Model, w: Where, arn: string) {
  const s = m.state.stores.get(storeKey(w.accountId, w.region));
  const k = storeKey(w.accountId, w.region);
  const alarm = /^arn:aws[a-z-]*:cloudwatch:[^:]*:\d*:alarm:(.+)$/.exec(arn);
  if (alarm) {
    const a = s?.alarms.get(alarm[1] ?? "");
    if (a && a.AlarmArn === arn) {
      return {
        tags: a.tags,
        save: (tags: Record<string, string>) => m.record({ t: "alarm", k, a: { ...a, tags } }),
      };
    }
  }
  const dashboard = /^arn:aws[a-z-]*:cloudwatch::\d*:dashboard\/(.+)$/.exec(arn);
  if (dashboard) {
    const d = s?.dashboards.get(dashboard[1] ?? "");
    if (d && d.arn === arn) {
      return {
        tags: d.tags,
        save: (tags: Record<string, string>) => m.record({ t: "dashboard", k, d: { ...d, tags } }),
      };
    }
  }
  throw cwErrors.resourceNotFound(arn);
}

export function tagResource(m: Model, w: Where, input: Obj): void {
  const arn = requiredString(input.ResourceARN, "ResourceARN", 1024);
  if (input.Tags === undefined) throw cwErrors.missingParameter("Tags");
  const tags = tagsParam(input.Tags);
  const r = resource(m, w, arn);
  const merged = { ...r.tags, ...tags };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw cwErrors.limitExceeded(`A resource can have at most ${MAX_TAGS} tags.`);
  }
  r.save(merged);
}

export function untagResource(m: Model, w: Where, input: Obj): void {
  const arn = requiredString(input.ResourceARN, "ResourceARN", 1024);
  if (input.TagKeys === undefined) throw cwErrors.missingParameter("TagKeys");
  const keys = stringList(input.TagKeys, "TagKeys", MAX_TAGS);
  const r = resource(m, w, arn);
  const left = { ...r.tags };
  for (const key of keys) delete left[key];
  r.save(left);
}

export function listTagsForResource(m: Model, w: Where, input: Obj) {
  const arn = requiredString(input.ResourceARN, "ResourceARN", 1024);
  const { tags } = resource(m, w, arn);
  return { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}
