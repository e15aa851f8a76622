/**
 * DLQ redrive: StartMessageMoveTask moves a dead-letter queue's messages back to their source
 * queues (or to a given destination) at a rate, as a task that can be listed and cancelled. A
 * timer drives running tasks; each move is a journaled change, so a restart resumes the task.
 */
import { randomUUID } from "node:crypto";
import { sqsErrors } from "./errors.ts";
import { MOVE_TASK_DEFAULT_RATE, MOVE_TASK_MAX_RATE } from "./limits.ts";
import { deadLetterSources, type Model } from "./model.ts";
import type { MoveTask } from "./state.ts";

const TICK_MS = 100;

export interface MoveTasks {
  start(sourceArn: unknown, destinationArn: unknown, maxPerSecond: unknown): string;
  cancel(handle: unknown): number;
  list(sourceArn: unknown, maxResults: unknown): MoveTask[];
  /** Resumes tasks that were running when the state was saved. */
  resume(): void;
  close(): void;
}

export function createMoveTasks(m: Model): MoveTasks {
  let timer: NodeJS.Timeout | undefined;

  const running = () => m.state.tasks.filter((t) => t.status === "RUNNING");
  const save = (task: MoveTask) => m.commit({ t: "task", task });
  const schedule = () => {
    if (!timer && running().length > 0) timer = setInterval(tick, TICK_MS);
  };

  function tick(): void {
    for (const task of running()) step(task);
    if (running().length === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  function step(task: MoveTask): void {
    const source = m.state.queues.get(task.sourceArn);
    if (!source) {
      save({ ...task, status: "FAILED", failureReason: "AWS.SimpleQueueService.NonExistentQueue" });
      return;
    }
    let budget = Math.max(1, Math.floor(((task.maxPerSecond ?? MOVE_TASK_DEFAULT_RATE) * TICK_MS) / 1000));
    let moved = task.moved;
    const now = m.clock.now();
    for (const msg of [...source.messages.values()]) {
      if (budget <= 0) break;
      if (msg.visibleAt > now) continue; // in flight: AWS leaves it for a later pass
      const to = task.destinationArn ?? msg.deadLetterSourceArn;
      if (!to || !m.state.queues.has(to)) continue;
      m.commit({ t: "moved", from: source.arn, to, id: msg.id, at: now, deadLetter: false });
      m.waiters.wake(to);
      moved++;
      budget--;
    }
    const remaining = [...source.messages.values()].some(
      (msg) => msg.visibleAt <= now && (task.destinationArn ?? msg.deadLetterSourceArn),
    );
    save({ ...task, moved, status: remaining && moved < task.toMove ? "RUNNING" : "COMPLETED" });
  }

  return {
    start(sourceArn, destinationArn, maxPerSecond) {
      if (typeof sourceArn !== "string" || sourceArn === "") throw sqsErrors.missingParameter("SourceArn");
      const source = m.state.queues.get(sourceArn);
      if (!source)
        throw sqsErrors.resourceNotFound(
          "The resource that you specified for the SourceArn parameter doesn't exist.",
        );
      if (deadLetterSources(m, source).length === 0) {
        throw sqsErrors.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.");
      }
      if (
        destinationArn !== undefined &&
        (typeof destinationArn !== "string" || !m.state.queues.has(destinationArn))
      ) {
        throw sqsErrors.resourceNotFound(
          "The resource that you specified for the DestinationArn parameter doesn't exist.",
        );
      }
      let rate: number | undefined;
      if (maxPerSecond !== undefined) {
        rate = Number(maxPerSecond);
        if (!Number.isInteger(rate) || rate < 1 || rate > MOVE_TASK_MAX_RATE) {
          throw sqsErrors.invalidParameterValue(
            `Value ${String(maxPerSecond)} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and ${MOVE_TASK_MAX_RATE}.`,
          );
        }
      }
      if (running().some((t) => t.sourceArn === sourceArn)) {
        throw sqsErrors.unsupportedOperation(
          "There is already a task running. Only one active task is allowed for each source queue arn at a given time.",
        );
      }
      const taskId = randomUUID();
      const task: MoveTask = {
        taskId,
        handle: Buffer.from(JSON.stringify({ taskId, sourceArn })).toString("base64"),
        sourceArn,
        ...(typeof destinationArn === "string" && { destinationArn }),
        ...(rate !== undefined && { maxPerSecond: rate }),
        status: "RUNNING",
        moved: 0,
        toMove: source.messages.size,
        startedAt: m.clock.now(),
      };
      save(task);
      schedule();
      return task.handle;
    },
    cancel(handle) {
      if (typeof handle !== "string" || handle === "") throw sqsErrors.missingParameter("TaskHandle");
      const task = m.state.tasks.find((t) => t.handle === handle);
      if (!task) throw sqsErrors.resourceNotFound("Task does not exist.");
      if (task.status !== "RUNNING")
        throw sqsErrors.unsupportedOperation(
          `Task is in status ${task.status}; only a RUNNING task can be cancelled.`,
        );
      save({ ...task, status: "CANCELLED" });
      return task.moved;
    },
    list(sourceArn, maxResults) {
      if (typeof sourceArn !== "string" || sourceArn === "") throw sqsErrors.missingParameter("SourceArn");
      if (!m.state.queues.has(sourceArn)) {
        throw sqsErrors.resourceNotFound(
          "The resource that you specified for the SourceArn parameter doesn't exist.",
        );
      }
      const max = maxResults === undefined ? 1 : Number(maxResults);
      if (!Number.isInteger(max) || max < 1 || max > 10) {
        throw sqsErrors.invalidParameterValue(
          `Value ${String(maxResults)} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.`,
        );
      }
      return m.state.tasks
        .filter((t) => t.sourceArn === sourceArn)
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, max);
    },
    resume: schedule,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
