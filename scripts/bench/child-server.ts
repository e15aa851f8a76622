/**
 * Start an SQS server (`serve.ts`) as a real child process and wait until it listens. Used by
 * the emulator's crash tests (kill -9 and restart on the same data dir) and usable by scripts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const SERVE = path.join(import.meta.dirname, "serve.ts");

export interface ChildServer {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** What the child wrote to stderr so far. */
  stderr(): string;
  /** Send a signal (default SIGKILL) and wait until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface SpawnServerOptions {
  server?: "ours" | "fauxqs";
  dataDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  timeoutMs?: number;
}

export function spawnServer(options: SpawnServerOptions = {}): Promise<ChildServer> {
  const args = [SERVE, "--server", options.server ?? "ours", "--port", String(options.port ?? 0), "--log"];
  if (options.dataDir) args.push("--data-dir", options.dataDir);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not listen within ${options.timeoutMs ?? 20_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${signal ?? code} before listening\n${stderr}`));
    });
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      const port = /listening (\d+)/.exec(stdout)?.[1];
      if (!port || child.pid === undefined) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${port}`,
        port: Number(port),
        pid: child.pid,
        child,
        stderr: () => stderr,
        async kill(signal = "SIGKILL") {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    });
  });
}
