/**
 * Long polling: a ReceiveMessage that found nothing parks here until a message may be available
 * (a send, a visibility change, a move) or its wait time ends. Waking is by event, plus one timer
 * for the moment a delayed or in-flight message becomes visible, never by polling in a loop.
 */
export interface Waiters {
  /** True once close() ran: long polls end at once instead of waiting again. */
  readonly closed: boolean;
  /** Resolves true when woken for `arn`, false at `deadline` or on close. `nextVisibleAt` bounds the sleep. */
  wait(arn: string, deadline: number, nextVisibleAt: number | undefined, now: number): Promise<boolean>;
  wake(arn: string): void;
  close(): void;
}

interface Waiter {
  resolve(woken: boolean): void;
  timer: NodeJS.Timeout;
}

export function createWaiters(): Waiters {
  const byQueue = new Map<string, Set<Waiter>>();
  let closed = false;

  const remove = (arn: string, w: Waiter) => {
    const set = byQueue.get(arn);
    set?.delete(w);
    if (set?.size === 0) byQueue.delete(arn);
  };

  return {
    get closed() {
      return closed;
    },
    wait(arn, deadline, nextVisibleAt, now) {
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const until = nextVisibleAt !== undefined ? Math.min(deadline, nextVisibleAt) : deadline;
        const w: Waiter = {
          resolve: (woken) => {
            clearTimeout(w.timer);
            remove(arn, w);
            resolve(woken);
          },
          // Waking at nextVisibleAt counts as woken: the caller looks again.
          timer: setTimeout(() => w.resolve(until < deadline), Math.max(0, until - now)),
        };
        let set = byQueue.get(arn);
        if (!set) {
          set = new Set();
          byQueue.set(arn, set);
        }
        set.add(w);
      });
    },
    wake(arn) {
      const set = byQueue.get(arn);
      if (!set) return;
      for (const w of [...set]) w.resolve(true);
    },
    close() {
      closed = true;
      for (const set of byQueue.values()) for (const w of [...set]) w.resolve(false);
      byQueue.clear();
    },
  };
}
