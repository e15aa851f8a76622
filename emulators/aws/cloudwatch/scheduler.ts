/**
 * The alarm scheduler: one timer per evaluated alarm, fired on each boundary of the alarm's
 * period (periods aligned to the epoch, as datapoints are), evaluating the periods that just
 * ended. Timers are `unref`'d and stopped on close. It only calls `evaluateAt`; the rules live in
 * the pure `evaluateAlarm`.
 */
import type { Where } from "../core/ports.ts";
import { evaluateAt, isEvaluated } from "./alarms.ts";
import type { Model } from "./model.ts";
import { periodStart } from "./statistics.ts";

/** Evaluate a little after the boundary, so a datum stamped just before it is counted. */
const LAG_MS = 100;

export interface Scheduler {
  /** Starts timers for new or changed alarms and stops those of deleted ones. */
  sync(): void;
  /** Evaluates every alarm now over its last completed periods (control route, tests). */
  evaluateAll(): Array<{ region: string; alarmName: string; state: string }>;
  close(): void;
}

export function createScheduler(m: Model, onError: (err: unknown) => void): Scheduler {
  const timers = new Map<string, { timer: NodeJS.Timeout; period: number }>();
  let closed = false;

  const whereOf = (k: string): Where => {
    const at = k.indexOf(":");
    return { accountId: k.slice(0, at), region: k.slice(at + 1) };
  };

  function schedule(id: string, w: Where, name: string, period: number): void {
    const now = m.clock.now();
    const boundary = periodStart(now, period) + period * 1000;
    const timer = setTimeout(
      () => {
        timers.delete(id);
        if (closed) return;
        try {
          evaluateAt(m, w, name, boundary);
        } catch (err) {
          onError(err);
        }
        const alarm = m.state.stores.get(`${w.accountId}:${w.region}`)?.alarms.get(name);
        if (alarm && isEvaluated(alarm) && !timers.has(id)) schedule(id, w, name, alarm.Period ?? period);
      },
      boundary - now + LAG_MS,
    );
    timer.unref();
    timers.set(id, { timer, period });
  }

  return {
    sync() {
      if (closed) return;
      const live = new Set<string>();
      for (const [k, s] of m.state.stores) {
        for (const alarm of s.alarms.values()) {
          if (!isEvaluated(alarm) || alarm.Period === undefined) continue;
          const id = `${k}/${alarm.AlarmName}`;
          live.add(id);
          const current = timers.get(id);
          if (current && current.period === alarm.Period) continue;
          if (current) clearTimeout(current.timer);
          schedule(id, whereOf(k), alarm.AlarmName, alarm.Period);
        }
      }
      for (const [id, { timer }] of timers) {
        if (!live.has(id)) {
          clearTimeout(timer);
          timers.delete(id);
        }
      }
    },
    evaluateAll() {
      const out: Array<{ region: string; alarmName: string; state: string }> = [];
      const now = m.clock.now();
      for (const [k, s] of m.state.stores) {
        const w = whereOf(k);
        for (const alarm of [...s.alarms.values()]) {
          const state = isEvaluated(alarm)
            ? evaluateAt(m, w, alarm.AlarmName, periodStart(now, alarm.Period ?? 60))
            : alarm.StateValue;
          out.push({ region: w.region, alarmName: alarm.AlarmName, state: state ?? alarm.StateValue });
        }
      }
      return out;
    },
    close() {
      closed = true;
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
