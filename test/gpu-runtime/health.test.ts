/**
 * /health across the model's life, on the in-memory fake (no model: the load is held open),
 * and the real entry point `main.ts` as a process: ready, graceful stop, cuda failing fast, a
 * failed GPU preflight ending the process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "../../scripts/models/models.ts";
import { FakeBackend } from "../../services/gpu-runtime/fake-backend.ts";
import { createRuntimeServer, type RuntimeServer } from "../../services/gpu-runtime/server.ts";

const started: RuntimeServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
});

async function serve(backend: FakeBackend) {
  const runtime = createRuntimeServer({ backend });
  started.push(runtime);
  const { port } = await runtime.listen(0);
  const get = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { runtime, port, get };
}

describe("GET /health", () => {
  it("answers 503 loading while the model loads, then 200 ok", async () => {
    const backend = new FakeBackend({ holdLoad: true });
    const { runtime, get } = await serve(backend);
    expect(await get("/health")).toEqual({ status: 503, body: { status: "loading", gate: "off" } });
    const models = await get("/v1/models");
    expect(models.status).toBe(503);
    expect(models.body).toEqual({
      error: { message: "Loading model", type: "unavailable_error", param: null, code: 503 },
    });
    backend.release();
    await runtime.ready;
    expect(await get("/health")).toEqual({
      status: 200,
      body: { status: "ok", model: "fake", backend: "cpu", loadMs: 0, gate: "off" },
    });
    expect((await get("/v1/health")).status).toBe(200);
  });

  it("stays 503 with the reason when the model fails to load", async () => {
    const { runtime, get } = await serve(new FakeBackend({ failLoad: new Error("no such file") }));
    await expect(runtime.ready).rejects.toThrow("no such file");
    expect(await get("/health")).toEqual({
      status: 503,
      body: { status: "error", error: "no such file", gate: "off" },
    });
    expect((await get("/v1/models")).body).toMatchObject({
      error: { message: "the model failed to load: no such file" },
    });
  });
});

describe("main.ts", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.exitCode === null) child.kill("SIGKILL");
  });

  /** Starts the entry point; resolves each JSON log line through `lines`. */
  function start(env: Record<string, string>) {
    child = spawn(process.execPath, [path.join(repoRoot, "services", "gpu-runtime", "main.ts")], {
      // The HTTP API alone: these tests have no AWS (the worker is covered in worker/lifecycle tests).
      env: {
        ...process.env,
        GPU_RUNTIME_PORT: "0",
        GPU_RUNTIME_THREADS: "1",
        GPU_RUNTIME_WORKER: "off",
        LOG_LEVEL: "info",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const proc = child;
    const logs: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    readline.createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      logs.push(JSON.parse(line));
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    const waitFor = async (msg: string) => {
      for (;;) {
        const hit = logs.find((l) => String(l.msg).startsWith(msg));
        if (hit) return hit;
        if (proc.exitCode !== null)
          throw new Error(`exited ${proc.exitCode} before "${msg}": ${JSON.stringify(logs)}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    };
    return { proc, logs, exited, waitFor };
  }

  it("loads the configured tiny model, serves, and stops cleanly on SIGTERM", async () => {
    const { proc, exited, waitFor } = start({ GPU_RUNTIME_BACKEND: "cpu" });
    const ready = await waitFor("ready");
    expect(ready).toMatchObject({
      name: "gpu-runtime",
      level: "info",
      backend: "cpu",
      model: "tiny-f32-s42",
    });
    expect(ready.preflightMs).toBeUndefined(); // the CPU is preflighted only when forced
    const res = await fetch(`${ready.url}/health`);
    expect(await res.json()).toMatchObject({ status: "ok", backend: "cpu" });
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("exits 1 at once with a clear message when backend cuda is not usable", async () => {
    const { exited, waitFor } = start({ GPU_RUNTIME_BACKEND: "cuda" });
    const t0 = performance.now();
    expect(await exited).toBe(1);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const fatal = await waitFor("model load failed: ");
    expect(fatal.level).toBe("fatal");
    expect(fatal.msg).toMatch(/backend cuda was requested but CUDA is not usable on this machine/);
  });

  it("exits 1 with the reason and the fix when the preflight's child dies as ggml does", async () => {
    // No GPU here: the CPU is preflighted by force, and the child aborts like the CUDA binary
    // does on a driver too old for its PTX.
    const { exited, waitFor } = start({
      GPU_RUNTIME_BACKEND: "cpu",
      GPU_RUNTIME_PREFLIGHT: "always",
      GPU_RUNTIME_FAULTS: JSON.stringify({ preflightAbort: true }),
    });
    expect(await exited).toBe(1);
    const fatal = await waitFor("model load failed: ");
    expect(fatal.level).toBe("fatal");
    expect(fatal.msg).toMatch(
      /the cpu preflight \(.*\) was killed by SIGABRT: "CUDA error: the provided PTX was compiled with an unsupported toolchain\."/,
    );
    expect(fatal.msg).toMatch(/upgrade the NVIDIA driver to R590 or newer/);
  });

  it("refuses an unknown backend name from the environment", async () => {
    const { exited, waitFor } = start({ GPU_RUNTIME_BACKEND: "tpu" });
    expect(await exited).toBe(1);
    expect((await waitFor("GPU_RUNTIME_BACKEND")).msg).toBe(
      "GPU_RUNTIME_BACKEND=tpu must be one of auto, cpu, cuda",
    );
  });
});
