/**
 * Child processes of the launcher: start a Node script, wait until its health URL answers, stop
 * it. Each child runs in its own process group, so a terminal's Ctrl-C reaches only the launcher,
 * which then stops the children in order (otherwise a child could exit first and look like a
 * crash). Each child also gets an IPC channel, only so it can notice the launcher dying (the
 * channel closes) and stop itself; nothing is sent over it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import type { Logger } from "../../services/lib/logger.ts";

export interface ChildSpec {
  /** Shown in logs, e.g. `aws-emulator`. */
  name: string;
  /** Script path and its arguments, run with this Node. */
  args: string[];
  /** Answers 2xx once the child is serving. */
  healthUrl: string;
  env?: NodeJS.ProcessEnv;
}

export interface Child {
  spec: ChildSpec;
  process: ChildProcess;
  /** Settles when the process has exited, with its code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startChild(spec: ChildSpec, cwd: string): Child {
  const child = spawn(process.execPath, spec.args, {
    cwd,
    env: spec.env ?? process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    detached: true,
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  // An exit with no listener would otherwise be an unhandled rejection when spawn fails.
  child.on("error", () => {});
  return { spec, process: child, exited };
}

/** Polls the health URL until it answers 2xx; fails early if the child exits first. */
export async function waitHealthy(child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died = false;
  void child.exited.then(() => {
    died = true;
  });
  while (Date.now() < deadline) {
    if (died) throw new Error(`${child.spec.name} exited before it answered ${child.spec.healthUrl}`);
    try {
      const res = await fetch(child.spec.healthUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.spec.name} did not answer ${child.spec.healthUrl} within ${timeoutMs / 1000} s`);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(child: Child, log: Logger, graceMs = 5000): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill("SIGTERM");
  const timer = setTimeout(() => {
    log.warn({ child: child.spec.name, pid: proc.pid }, `no exit ${graceMs / 1000} s after SIGTERM: killing`);
    proc.kill("SIGKILL");
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}
