/**
 * Helpers shared by the server benchmarks (`sqs.ts`, `emulator.ts`): a server in its own child
 * process with its startup time (spawn -> first successful request), its resident memory and CPU
 * time from /proc, and medians / spreads for the printed tables.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";

/** A correctness failure: the benchmark prints CORRECTNESS FAILURE and exits 1. */
export class BenchFailure extends Error {}

/** An executable named `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface ChildServerProcess {
  child: ChildProcess;
  pid: number;
  /** From spawn to the first successful probe. */
  startupMs: number;
  /** The last 64 KiB the child wrote to stderr. */
  stderr(): string;
}

const STDERR_KEEP = 64 * 1024;

/**
 * Spawn `command args` and call `probe` until it resolves: connection refused/reset (the server
 * is not listening yet) retries every 5 ms; any other error, an exit, or 30 s without an answer
 * kills the child and throws BenchFailure.
 */
export async function startChildServer(
  label: string,
  command: string,
  args: string[],
  probe: () => Promise<unknown>,
): Promise<ChildServerProcess> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 2 * STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once("error", (err) => {
    exited = `failed to start: ${err.message}`;
  });

  for (;;) {
    if (exited) throw new BenchFailure(`${label}: server ${exited} before answering:\n${stderr}`);
    try {
      await probe();
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "ECONNREFUSED" && code !== "ECONNRESET") {
        child.kill("SIGKILL");
        throw new BenchFailure(`${label}: first request failed: ${String(err)}\n${stderr}`);
      }
    }
    if (performance.now() - started > 30_000) {
      child.kill("SIGKILL");
      throw new BenchFailure(`${label}: no answer within 30 s\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = performance.now() - started;
  if (child.pid === undefined) throw new Error(`${label}: child has no pid`);
  return { child, pid: child.pid, startupMs, stderr: () => stderr.slice(-STDERR_KEEP) };
}

/** SIGTERM, SIGKILL after 5 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await gone;
  clearTimeout(timer);
}

/** CPU time (user + system, all threads) of a process so far, in ms; /proc counts in clock ticks (100/s). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After "pid (comm) ", field 0 is the state; utime and stime are fields 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const int = (x: number) => Math.round(x).toLocaleString("en-US");

/** "median (min–max)", or just the median for a single value. */
export function spread(xs: number[], fmt: (x: number) => string): string {
  if (xs.length < 2) return fmt(median(xs));
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}
