/**
 * The runtime as real processes (`main.ts`) against the emulator as a process: kill -9 of the
 * runtime in the middle of a job, then a restart. The message comes back after its visibility
 * timeout (3 s here), the new process runs it, and the job completes exactly once: one
 * `processed` event, one stored result, the message deleted. The runtime's inference engine, its
 * child process, goes with it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port.ts";
import { repoRoot } from "../../services/lib/config.ts";
import { alive } from "../helpers/process.ts";
import { startStack, waitFor } from "./stack.ts";

interface Proc {
  proc: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const procs: Proc[] = [];
afterEach(() => {
  for (const p of procs.splice(0))
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill("SIGKILL");
});

function start(script: string, args: string[], env: Record<string, string>): Proc {
  const proc = spawn(process.execPath, [path.join(repoRoot, script), ...args], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  readline.createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  // Read stderr too: an unread pipe would block the process once it is full.
  readline
    .createInterface({ input: proc.stderr as NodeJS.ReadableStream })
    .on("line", (line) => logs.push({ stderr: line }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const p = { proc, logs, exited };
  procs.push(p);
  return p;
}

const count = (p: Proc, msg: string) => p.logs.filter((l) => l.msg === msg).length;

/** Waits for `check`; if it times out or the process exits first, fails with the process's log. */
async function waitOn<T>(
  p: Proc,
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs?: number,
): Promise<T> {
  const exited = p.exited.then((e) => {
    throw new Error(`the process exited (${JSON.stringify(e)}) while waiting for ${what}`);
  });
  try {
    return await Promise.race([waitFor(what, check, timeoutMs), exited]);
  } catch (err) {
    (err as Error).message += `\nits log:\n${p.logs.map((l) => JSON.stringify(l)).join("\n")}`;
    throw err;
  } finally {
    exited.catch(() => {});
  }
}

describe("runtime process killed mid-job", () => {
  it("kill -9 during a job, then a restart: the job completes exactly once", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const emulator = start(
      "emulators/aws/main.ts",
      ["--port", String(port), "--ec2-transition-ms", "300"],
      {},
    );
    // Its own line, not /health: that could answer from another emulator holding the port.
    await waitOn(emulator, "the emulator", () => count(emulator, "aws emulator listening") === 1);
    const s = await startStack({ url, visibilityTimeoutSeconds: 3 });
    const env = {
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: s.config.region,
      GPU_RUNTIME_PORT: "0",
      GPU_RUNTIME_BACKEND: "cpu",
      GPU_RUNTIME_THREADS: "1",
    };

    const first = start("services/gpu-runtime/main.ts", [], {
      ...env,
      GPU_RUNTIME_FAULTS: JSON.stringify({ delayMs: 8000 }),
    });
    await waitOn(first, "the first runtime ready", () => count(first, "ready") === 1);
    const job = await s.submit("alice", "Survive a kill -9", 24);
    await waitFor("running", async () => (await s.record(job.jobId)).status === "running");
    await waitFor("the delivered event shipped", async () =>
      (await s.events(job.jobId)).some((e) => e.event === "delivered"),
    );
    // The model runs in the runtime's inference engine, a child process (engine.ts).
    const engine = first.logs.find((l) => l.part === "engine" && l.msg === "model loaded")?.pid as number;
    expect(engine).toBeGreaterThan(0);
    expect(engine).not.toBe(first.proc.pid);
    first.proc.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    // Its channel to the runtime closed: it does not outlive it.
    await waitFor("the killed runtime's engine gone", async () => !alive(engine), 5000, 50);
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 1 }); // the message waits out its visibility timeout
    expect((await s.record(job.jobId)).status).toBe("running");

    const second = start("services/gpu-runtime/main.ts", [], env);
    await waitOn(second, "the second runtime ready", () => count(second, "ready") === 1);
    // Within its visibility timeout (3 s) after the kill, the message is received again.
    const done = await waitOn(
      second,
      "succeeded",
      async () => {
        const r = await s.record(job.jobId);
        return r.status === "succeeded" && r;
      },
      15_000,
    ).catch(async (err: Error) => {
      err.message += `\nrecord: ${JSON.stringify(await s.record(job.jobId))}\nqueue: ${JSON.stringify(await s.queue())}`;
      throw err;
    });
    expect(done).toMatchObject({ attempts: 2, backend: "cpu" });
    expect(done.output?.length).toBeGreaterThan(0);
    expect(done.usage?.completionTokens).toBeGreaterThan(0);

    // Wait past another visibility timeout: nothing comes back, nothing runs again.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 0 });
    expect(await s.dlq()).toEqual({ visible: 0, inFlight: 0 });
    expect([count(first, "job delivered"), count(first, "job processed")]).toEqual([1, 0]);
    expect([count(second, "job delivered"), count(second, "job processed")]).toEqual([1, 1]);
    const events = await s.events(job.jobId);
    expect(events.map((e) => [e.event, e.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 2],
      ["processed", 2],
    ]);
    expect(await s.record(job.jobId)).toEqual(done);

    second.proc.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 90_000);
});
