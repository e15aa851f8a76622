/**
 * The runtime with the power gate on (as `make dev` runs it), in process: it follows the
 * emulated GPU instance (300-ms EC2 transitions). No consumption while the instance is stopped;
 * after a start the model loads (/health 503), then jobs run; a stop gives the in-flight job
 * back, and it completes exactly once after the next start. Real inference on the tiny model.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Runtime, startRuntime } from "../../services/gpu-runtime/runtime.ts";
import { resolveSettings } from "../../services/gpu-runtime/settings.ts";
import { captureLogger, type Stack, startStack, waitFor } from "./stack.ts";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gated(
  env: Record<string, string> = {},
): Promise<{ s: Stack; runtime: Runtime; lines: Array<Record<string, unknown>> }> {
  const s = await startStack();
  cleanups.push(() => s.close());
  const { logger, lines } = captureLogger();
  const settings = await resolveSettings(s.config, {
    GPU_RUNTIME_BACKEND: "cpu",
    GPU_RUNTIME_THREADS: "1",
    GPU_RUNTIME_POWER_GATE: "on",
    GPU_RUNTIME_RETRY_DELAY_SECONDS: "0",
    ...env,
  });
  const runtime = await startRuntime({
    config: s.config,
    settings,
    logger,
    aws: s.aws,
    port: 0,
    gatePollMs: 100,
    worker: { waitTimeSeconds: 1 },
    metricFlushIntervalMs: 500,
  });
  cleanups.push(() => runtime.close());
  return { s, runtime, lines };
}

async function health(runtime: Runtime) {
  const res = await fetch(`${runtime.url}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("power gate", () => {
  it("consumes nothing while the instance is stopped; after a start it loads the model, then runs the job", async () => {
    const { s, runtime } = await gated({ GPU_RUNTIME_FAULTS: JSON.stringify({ loadDelayMs: 1000 }) });
    expect(await health(runtime)).toEqual({
      status: 200,
      body: { status: "waiting", gate: "waiting", instance: "stopped" },
    });
    const job = await s.submit("alice", "Hello from a stopped instance");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await s.queue()).toEqual({ visible: 1, inFlight: 0 });
    expect((await s.record(job.jobId)).status).toBe("queued");

    await s.startInstance();
    const loading = await waitFor("/health loading", async () => {
      const h = await health(runtime);
      return h.status === 503 && h;
    });
    expect(loading.body).toEqual({ status: "loading", gate: "running", instance: "running" });
    expect((await s.record(job.jobId)).status).toBe("queued"); // not before the model is loaded

    const done = await waitFor("succeeded", async () => {
      const r = await s.record(job.jobId);
      return r.status === "succeeded" && r;
    });
    expect(done.attempts).toBe(1);
    expect(done.output).toEqual(expect.any(String));
    // The job waited for the boot (300 ms EC2 transition) and the load (1 s injected).
    expect(done.timings?.bootMs).toBeGreaterThanOrEqual(200);
    expect(done.timings?.loadMs).toBeGreaterThanOrEqual(1000);
    expect(done.timings?.queueWaitMs).toBeGreaterThanOrEqual(1000); // the 1.5 s before the start
    expect(await health(runtime)).toMatchObject({
      status: 200,
      body: { status: "ok", gate: "running", instance: "running", backend: "cpu" },
    });
  });

  it("gives the in-flight job back when the instance stops; it completes exactly once after the next start", async () => {
    const { s, runtime } = await gated({ GPU_RUNTIME_FAULTS: JSON.stringify({ delayMs: 2000 }) });
    await s.startInstance();
    await waitFor("model loaded", async () => (await health(runtime)).body.status === "ok");
    const job = await s.submit("bob", "Interrupted by a stop");
    await waitFor("running", async () => (await s.record(job.jobId)).status === "running");

    await s.stopInstance();
    await waitFor("released", async () => (await s.record(job.jobId)).status === "queued");
    const released = await s.record(job.jobId);
    expect(released).toMatchObject({ status: "queued", attempts: 1 });
    expect(released.error).toBeUndefined(); // not a failure
    await waitFor("waiting", async () => (await health(runtime)).body.status === "waiting");
    expect(await s.queue()).toEqual({ visible: 1, inFlight: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await s.record(job.jobId)).status).toBe("queued"); // stopped: nothing consumes it

    await waitFor("stopped", async () => (await s.instanceState()) === "stopped");
    await s.startInstance();
    const done = await waitFor("succeeded", async () => {
      const r = await s.record(job.jobId);
      return r.status === "succeeded" && r;
    });
    expect(done.attempts).toBe(2);
    expect(await s.queue()).toEqual({ visible: 0, inFlight: 0 });
    await waitFor("the events shipped", async () =>
      (await s.events(job.jobId)).some((e) => e.event === "processed"),
    );
    expect((await s.events(job.jobId)).map((e) => e.event)).toEqual([
      "delivered",
      "released",
      "delivered",
      "processed",
    ]);
  });
});
