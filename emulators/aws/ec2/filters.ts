/**
 * EC2's `Filter.N.Name` / `Filter.N.Value.M` matching and `MaxResults`/`NextToken` paging, as
 * pure functions. Values of one filter are OR-ed, filters AND-ed; `*` and `?` are wildcards;
 * `tag:<key>` matches a tag's value, `tag-key` / `tag-value` any tag's key or value. An unknown filter name is refused, as EC2 refuses it.
 */
import { ec2Errors } from "./errors.ts";

export interface Filter {
  Name?: string;
  Values?: string[];
}

/** What each supported filter name reads from an item (one value or several). */
export type Fields<T> = Record<string, (item: T) => string | string[] | undefined>;

export function wildcard(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(value);
}

export function filterItems<T>(
  items: T[],
  filters: Filter[] | undefined,
  fields: Fields<T>,
  tagsOf?: (item: T) => ReadonlyMap<string, string> | undefined,
): T[] {
  if (!filters || filters.length === 0) return items;
  const tests = filters.map((f) => {
    const name = f.Name ?? "";
    const values = f.Values ?? [];
    let read: (item: T) => string[];
    if (name.startsWith("tag:") && tagsOf) {
      const key = name.slice(4);
      read = (item) => {
        const v = tagsOf(item)?.get(key);
        return v === undefined ? [] : [v];
      };
    } else if ((name === "tag-key" || name === "tag-value") && tagsOf) {
      const part = name === "tag-key" ? "keys" : "values";
      read = (item) => [...(tagsOf(item)?.[part]() ?? [])];
    } else {
      const field = fields[name];
      if (!field) throw ec2Errors.invalidFilter(name);
      read = (item) => [field(item) ?? []].flat();
    }
    return (item: T) => {
      const got = read(item);
      return values.some((pattern) => got.some((v) => wildcard(pattern, v)));
    };
  });
  return items.filter((item) => tests.every((test) => test(item)));
}

export function checkMaxResults(value: number | undefined, range: { min: number; max: number }): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < range.min || value > range.max)
    throw ec2Errors.invalidParameterValue(
      String(value),
      "maxResults",
      `Expecting a value between ${range.min} and ${range.max}.`,
    );
}

/** One page and the token for the next: the token is the offset, opaque to clients. */
export function page<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  fallback: number,
): { items: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    const decoded = /^o(\d+)$/.exec(Buffer.from(nextToken, "base64url").toString("utf8"));
    if (!decoded) throw ec2Errors.invalidNextToken(nextToken);
    start = Number(decoded[1]);
  }
  const size = maxResults ?? fallback;
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length && { nextToken: Buffer.from(`o${end}`).toString("base64url") }),
  };
}
