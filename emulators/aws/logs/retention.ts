/** Retention as pure functions: which events a log group still keeps at a given time. */
import { DAY_MS } from "./limits.ts";

/** An event is expired once its timestamp is older than the group's retention (none: never). */
export function isExpired(timestamp: number, retentionDays: number | undefined, now: number): boolean {
  return retentionDays !== undefined && timestamp < retentionCutoff(retentionDays, now);
}

/** The oldest timestamp a group with this retention keeps at `now`. */
export function retentionCutoff(retentionDays: number, now: number): number {
  return now - retentionDays * DAY_MS;
}
