/**
 * The GPU preflight with real child processes on the tiny model. This machine has no GPU, so the
 * child runs on the CPU, forced (`always`), and the GPU node-llama-cpp would pick is a stand-in
 * where a test needs one; `preflightAbort` makes the child die the way ggml does on a driver too
 * old for the binary's PTX.
 */
import { describe, expect, it } from "vitest";
import { ensureModel } from "../../scripts/models/models.ts";
import { BackendUnavailableError } from "../../services/gpu-runtime/backend.ts";
import { PreflightError, runPreflight } from "../../services/gpu-runtime/gpu-preflight.ts";
import { LlamaBackend } from "../../services/gpu-runtime/llama-backend.ts";
import { openCheckedLlama, openLlama } from "../../services/gpu-runtime/open-llama.ts";
import { resolveSettings, SettingsError } from "../../services/gpu-runtime/settings.ts";
import { loadConfig } from "../../services/lib/config.ts";
import { captureLogger } from "./stack.ts";

const modelPath = ensureModel("tiny");
const ABORT = { GPU_RUNTIME_FAULTS: JSON.stringify({ preflightAbort: true }) };
const always = { mode: "always" as const, timeoutMs: 60_000 };

/** A Llama as node-llama-cpp returns it on a CUDA machine, for the parts the preflight touches. */
function fakeCudaLlama() {
  const llama = {
    gpu: "cuda" as const,
    disposed: false,
    async dispose() {
      llama.disposed = true;
    },
  };
  return llama;
}

describe("runPreflight", () => {
  it("passes on the CPU with the tiny model and says how long it took", async () => {
    const result = await runPreflight({ modelPath, gpu: false, timeoutMs: 60_000 });
    expect(result).toMatchObject({ ok: true });
    expect(result.ms).toBeGreaterThan(0);
    expect(result.ms).toBeLessThan(10_000);
  });

  it("reports a child that aborts like ggml: the signal and the CUDA error line", async () => {
    const result = await runPreflight({ modelPath, gpu: false, timeoutMs: 60_000, env: ABORT });
    expect(result).toMatchObject({
      ok: false,
      ended: "was killed by SIGABRT",
      errorLine: "CUDA error: the provided PTX was compiled with an unsupported toolchain.",
    });
  });

  it("kills a child that takes too long and says so", async () => {
    const result = await runPreflight({ modelPath, gpu: false, timeoutMs: 100 });
    expect(result).toMatchObject({ ok: false, ended: "did not finish within 0.1 s" });
    if (result.ok) return;
    const error = new PreflightError("cuda", "cuda", result, { modelPath, timeoutMs: 100 });
    expect(error.message).toMatch(/raise GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS \(now 0\.1\)/);
  });
});

describe("openCheckedLlama", () => {
  it("backend cuda: fails with what happened, the CUDA error and the fix", async () => {
    const cuda = fakeCudaLlama();
    const error = await openCheckedLlama({
      backend: "cuda",
      modelPath,
      preflight: { mode: "auto", timeoutMs: 60_000 },
      open: async () => cuda,
      // The child runs on the CPU here and aborts the way the CUDA binary does on an old driver.
      check: () => runPreflight({ modelPath, gpu: false, timeoutMs: 60_000, env: ABORT }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^backend cuda: the cuda preflight \(.*\) was killed by SIGABRT: /);
    expect(message).toContain('"CUDA error: the provided PTX was compiled with an unsupported toolchain."');
    expect(message).toMatch(/upgrade the NVIDIA driver to R590 or newer/);
    expect(message).toMatch(/install only the CUDA 12 runtime libraries .*CUDA 12\.4 fallback/);
    expect(message).toMatch(/GPU_RUNTIME_BACKEND=auto \(the next backend\) or cpu/);
    expect((error as PreflightError).output).toContain("unsupported toolchain");
    expect(cuda.disposed).toBe(true);
  });

  it("backend auto: logs why, excludes the failed GPU and runs on the next backend", async () => {
    const { logger, lines } = captureLogger();
    const cuda = fakeCudaLlama();
    const asked: string[][] = [];
    const { llama, preflightMs } = await openCheckedLlama({
      backend: "auto",
      modelPath,
      preflight: always,
      // First node-llama-cpp "picks" CUDA; with CUDA excluded, the real pick on this machine (the CPU).
      open: async (exclude) => {
        asked.push(exclude.map(String));
        return exclude.length ? openLlama("auto", exclude) : cuda;
      },
      check: (gpu) =>
        runPreflight({ modelPath, gpu: false, timeoutMs: 60_000, env: gpu === "cuda" ? ABORT : {} }),
      logger,
    });
    try {
      expect(asked).toEqual([[], ["cuda"]]);
      expect(cuda.disposed).toBe(true);
      expect(llama.gpu).toBe(false);
      const warn = lines.find((l) => l.level === "warn");
      expect(warn).toMatchObject({ backend: "cuda" });
      expect(String(warn?.msg)).toMatch(
        /the cuda preflight .* unsupported toolchain.*Trying the next backend\.$/,
      );
      expect(lines.find((l) => l.msg === "cpu preflight passed")).toBeDefined();
      // Both preflights count: the failed one is part of the boot.
      expect(preflightMs).toBeGreaterThan(Number(warn?.preflightMs));
    } finally {
      await llama.dispose();
    }
  });

  it("backend auto with every backend failing: the CPU's failure is the error", async () => {
    const error = await openCheckedLlama({
      backend: "auto",
      modelPath,
      preflight: always,
      open: async (exclude) =>
        exclude.length ? { gpu: false as const, dispose: async () => {} } : fakeCudaLlama(),
      check: async () => ({
        ok: false,
        ms: 1,
        ended: "exited with status 1",
        errorLine: "boom",
        output: "boom",
      }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).gpu).toBe("cpu");
    expect((error as Error).message).toMatch(
      /^backend auto: the cpu preflight .* exited with status 1: "boom"\. See the whole output with: node .*gpu-preflight-child\.ts /,
    );
  });

  it("does not run on the CPU unless forced", async () => {
    const { preflightMs } = await openCheckedLlama({
      backend: "cpu",
      modelPath,
      preflight: { mode: "auto", timeoutMs: 60_000 },
      open: async () => ({ gpu: false as const, dispose: async () => {} }),
      check: () => Promise.reject(new Error("the preflight must not run")),
    });
    expect(preflightMs).toBeUndefined();
  });
});

describe("LlamaBackend with the preflight forced on the CPU", () => {
  it("reports preflightMs in the model info", async () => {
    const backend = new LlamaBackend({
      modelPath,
      backend: "cpu",
      threads: 1,
      contextSize: 256,
      preflight: always,
    });
    const info = await backend.load();
    await backend.unload();
    expect(info).toMatchObject({ backend: "cpu" });
    expect(info.preflightMs).toBeGreaterThan(0);
    expect(info.loadMs).toBeGreaterThanOrEqual(info.preflightMs ?? 0);
  });
});

describe("settings", () => {
  const config = loadConfig();

  it("reads GPU_RUNTIME_PREFLIGHT and its timeout, default auto and 300 s", async () => {
    expect((await resolveSettings(config, {})).backend.preflight).toEqual({
      mode: "auto",
      timeoutMs: 300_000,
    });
    const s = await resolveSettings(config, {
      GPU_RUNTIME_PREFLIGHT: "always",
      GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS: "5",
    });
    expect(s.backend.preflight).toEqual({ mode: "always", timeoutMs: 5000 });
  });

  it("refuses an unknown mode and a bad timeout, naming the allowed values", async () => {
    await expect(resolveSettings(config, { GPU_RUNTIME_PREFLIGHT: "sometimes" })).rejects.toThrow(
      new SettingsError(
        "GPU_RUNTIME_PREFLIGHT=sometimes must be one of auto, always, off (auto: GPU backends only)",
      ),
    );
    await expect(resolveSettings(config, { GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS: "0" })).rejects.toThrow(
      "GPU_RUNTIME_PREFLIGHT_TIMEOUT_SECONDS=0 must be an integer 1..3600",
    );
  });
});
