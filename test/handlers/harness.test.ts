/**
 * The trigger harness: fires each handler on its schedule with a scheduled event and a
 * Lambda-like context, survives handlers that throw, reject or time out, and does not overlap an
 * invocation with itself. Then the real entry (harness/main.ts) as a process against the
 * emulator: with short schedules it boots the GPU instance for a queued job, dead-letters a job
 * that failed three times, and answers /healthz with each schedule's counts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readJob } from "../../services/handlers/dead-letters.ts";
import { createHarness, type Schedule } from "../../services/handlers/harness/harness.ts";
import type { LambdaContext, ScheduledEvent } from "../../services/handlers/lambda.ts";
import { repoRoot } from "../../services/lib/config.ts";
import { createLogger } from "../../services/lib/logger.ts";
import {
  type Aws,
  config,
  enqueue,
  failUntilDeadLettered,
  sleep,
  startAws,
  stateOf,
  waitForState,
} from "./helpers.ts";

const logger = createLogger("harness-test", { level: process.env.LOG_LEVEL ?? "silent" });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function harnessOf(schedules: Schedule[]) {
  const harness = createHarness({ schedules, logger });
  cleanups.push(() => harness.stop());
  return harness;
}

describe("trigger harness", () => {
  it("fires a handler on its schedule with a scheduled event and a Lambda-like context", async () => {
    const calls: Array<{ event: ScheduledEvent; context: LambdaContext; remaining: number }> = [];
    const harness = harnessOf([
      {
        name: "tick",
        everyMs: 50,
        timeoutMs: 3000,
        handler: async (event, context) => {
          calls.push({ event, context, remaining: context.getRemainingTimeInMillis() });
          return "ok";
        },
      },
    ]);
    harness.start();
    await sleep(280);
    await harness.stop();
    // Once at start, then every 50 ms.
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.length).toBeLessThanOrEqual(8);
    const [first] = calls;
    expect(first?.event).toMatchObject({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      detail: {},
    });
    expect(first?.context.functionName).toBe("tinyllama-tick");
    expect(first?.context.invokedFunctionArn).toBe(
      "arn:aws:lambda:us-east-1:000000000000:function:tinyllama-tick",
    );
    expect(first?.remaining).toBeGreaterThan(2900);
    expect(first?.remaining).toBeLessThanOrEqual(3000);
    expect(new Set(calls.map((c) => c.context.awsRequestId)).size).toBe(calls.length);
    const [stats] = harness.stats();
    expect(stats).toMatchObject({ name: "tick", invocations: calls.length, errors: 0 });
    expect(stats?.last).toMatchObject({ outcome: "ok", result: "ok" });
  });

  it("survives handlers that throw, reject or run past their timeout, and keeps firing them", async () => {
    let throws = 0;
    let slow = 0;
    const harness = harnessOf([
      {
        name: "throws",
        everyMs: 40,
        timeoutMs: 1000,
        handler: () => {
          throws++;
          if (throws % 2) throw new Error("boom");
          return Promise.reject(new TypeError("rejected"));
        },
      },
      {
        name: "slow",
        everyMs: 40,
        timeoutMs: 30,
        handler: async () => {
          slow++;
          await sleep(100);
        },
      },
    ]);
    harness.start();
    await sleep(400);
    await harness.stop();
    const [t, s] = harness.stats();
    expect(t?.errors).toBeGreaterThanOrEqual(3);
    expect(t?.errors).toBe(t?.invocations);
    expect(t?.last?.error).toMatch(/^(Error: boom|TypeError: rejected)$/);
    expect(s?.timeouts).toBeGreaterThanOrEqual(1);
    expect(s?.timeouts).toBe(slow);
    // A 100-ms handler on a 40-ms schedule: the ticks while it still runs are skipped, not stacked.
    expect(s?.skipped).toBeGreaterThanOrEqual(1);
    expect(s?.last?.outcome).toBe("timeout");
    // And it still answers a direct invoke afterwards.
    expect((await harness.invoke("slow")).outcome).toBe("timeout");
  });
});

describe("harness main as a process, against the emulator", () => {
  function startHarness(aws: Aws, env: NodeJS.ProcessEnv): { proc: ChildProcess; lines: string[] } {
    const proc = spawn(process.execPath, [path.join(repoRoot, "services/handlers/harness/main.ts")], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...aws.env, LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    for (const s of [proc.stdout, proc.stderr])
      s?.on("data", (d: Buffer) => lines.push(...d.toString().split("\n")));
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    cleanups.push(async () => {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await exited;
    });
    return { proc, lines };
  }

  async function until<T>(what: string, check: () => Promise<T | undefined>, lines: string[], ms = 10_000) {
    const end = Date.now() + ms;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${lines.join("\n")}`);
      await sleep(50);
    }
  }

  it("boots the instance for a queued job, marks a dead letter, reports on /healthz, stops on SIGTERM", async () => {
    const aws = await startAws({ pendingMs: 100, stoppingMs: 100 });
    cleanups.push(() => aws.close());
    const dead = await enqueue(aws, "bob-sub");
    await failUntilDeadLettered(aws, dead, "boom");

    const { proc, lines } = startHarness(aws, {
      HANDLER_SCHEDULES: "waker=0.2, watchdog=0.2, deadLetters=0.2",
      IDLE_STOP_SECONDS: "60",
      HANDLERS_PORT: "0",
    });
    const health = await until(
      "the health URL",
      async () => lines.map((l) => /"health":"([^"]+)"/.exec(l)?.[1]).find(Boolean),
      lines,
    );
    await until(
      "the dead-lettered record",
      async () =>
        (await readJob(aws.deps.s3, config.bucket, dead.jobId))?.status === "dead-lettered"
          ? true
          : undefined,
      lines,
    );
    expect(await stateOf(aws)).toBe("stopped");

    await enqueue(aws, "alice-sub");
    await waitForState(aws, "running", 10_000);

    const body = (await (await fetch(health)).json()) as {
      schedules: Array<{ name: string; invocations: number; errors: number }>;
    };
    expect(body.schedules.map((s) => s.name)).toEqual(["waker", "watchdog", "deadLetters"]);
    for (const s of body.schedules) {
      expect(s.invocations).toBeGreaterThan(1);
      expect(s.errors).toBe(0);
    }
    const exit = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    proc.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("logs a handler's failure and goes on (the AWS endpoint is down)", async () => {
    const aws = await startAws();
    const env = { ...aws.env };
    await aws.close();
    const { proc, lines } = startHarness(
      { ...aws, env },
      { HANDLER_SCHEDULES: "waker=0.1,watchdog=0.1,deadLetters=0.1" },
    );
    await until(
      "two failed invocations of each handler",
      async () => {
        const failed = lines.filter((l) => l.includes("invocation failed"));
        return ["tinyllama-waker", "tinyllama-watchdog", "tinyllama-deadLetters"].every(
          (f) => failed.filter((l) => l.includes(`"function":"${f}"`)).length >= 2,
        )
          ? true
          : undefined;
      },
      lines,
      15_000,
    );
    expect(proc.exitCode).toBeNull();
  });
});
