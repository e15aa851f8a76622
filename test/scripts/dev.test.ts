/**
 * The launcher (`make dev`) as a user runs it: a real process on a free port with its own data
 * folder, stopped by signals. Checks that it says `ready` once, serves, and leaves no process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/free-port.ts";
import { repoRoot } from "../../services/lib/config.ts";
import { alive } from "../helpers/process.ts";

interface Launch {
  proc: ChildProcess;
  lines: string[];
  port: number;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const launched: Launch[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const l of launched.splice(0)) if (l.proc.exitCode === null) l.proc.kill("SIGKILL");
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dev-test-"));
  dirs.push(dir);
  return dir;
}

/** Every part of the stack on its own free port, so a running `make dev` never collides. */
async function partPorts(): Promise<Record<string, string>> {
  const names = ["COGNITO_PORT", "GATEWAY_PORT", "GPU_RUNTIME_PORT"];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())])));
}

let ports: Record<string, string> = {};
beforeEach(async () => {
  ports = await partPorts();
});

function launch(dataDir: string, port: number, args: string[] = []): Launch {
  const proc = spawn(process.execPath, ["scripts/dev.ts", ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...ports,
      EMULATOR_PORT: String(port),
      EMULATOR_EC2_TRANSITION_MS: "100", // provisioning boots and stops the GPU instance once
      TINYLLAMA_DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    let rest = "";
    stream?.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const l = { proc, lines, port, exit };
  launched.push(l);
  return l;
}

async function waitFor(l: Launch, pattern: RegExp, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!l.lines.some((line) => pattern.test(line))) {
    if (l.proc.exitCode !== null)
      throw new Error(`launcher exited ${l.proc.exitCode}:\n${l.lines.join("\n")}`);
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern}:\n${l.lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids the launcher logged for its children (`{"child":..., "pid":...}`). */
function childPids(l: Launch): number[] {
  return l.lines.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as { child?: string; pid?: number; msg?: string };
      return entry.child && entry.pid && entry.msg?.startsWith("started") ? [entry.pid] : [];
    } catch {
      return [];
    }
  });
}

async function gone(pid: number, timeoutMs = 6000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

describe("scripts/dev.ts", () => {
  it("prints one ready line, serves health, and stops every child on SIGTERM", async () => {
    const dataDir = tempDir();
    const l = launch(dataDir, await freePort());
    await waitFor(l, /ready/);
    expect(l.lines.filter((line) => line.includes("ready"))).toHaveLength(1);

    const res = await fetch(`http://127.0.0.1:${l.port}/_emulator/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ persistence: { dataDir: path.join(dataDir, "aws") } });

    const pids = childPids(l);
    expect(pids.length, "the emulator, the mock Cognito and every later part").toBeGreaterThanOrEqual(2);
    l.proc.kill("SIGTERM");
    expect(await l.exit).toEqual({ code: 0, signal: null });
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });

  it("keeps state across restarts, and --fresh wipes it", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = launch(dataDir, port);
    await waitFor(first, /ready/);
    expect(first.lines.some((line) => line.includes("job queue created"))).toBe(true);
    first.proc.kill("SIGINT");
    expect((await first.exit).code).toBe(0);

    const second = launch(dataDir, port);
    await waitFor(second, /ready/);
    expect(second.lines.some((line) => line.includes("job queue found"))).toBe(true);
    second.proc.kill("SIGTERM");
    expect((await second.exit).code).toBe(0);

    const third = launch(dataDir, port, ["--fresh"]);
    await waitFor(third, /ready/);
    expect(third.lines.some((line) => line.includes("job queue created"))).toBe(true);
    third.proc.kill("SIGTERM");
    expect((await third.exit).code).toBe(0);
  });

  it("stops the rest and exits 1 with a clear message when a child dies", async () => {
    const l = launch(tempDir(), await freePort());
    await waitFor(l, /ready/);
    const [pid] = childPids(l);
    process.kill(pid as number, "SIGKILL");
    expect((await l.exit).code).toBe(1);
    expect(l.lines.some((line) => line.includes("aws-emulator exited on its own"))).toBe(true);
  });

  it("exits 1 and names the fix when the port is taken", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const l = launch(tempDir(), port);
      expect((await l.exit).code).toBe(1);
      expect(l.lines.some((line) => line.includes(`port ${port} on 127.0.0.1 is in use`))).toBe(true);
      expect(l.lines.some((line) => line.includes("ready"))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("leaves no emulator behind when the launcher itself is killed", async () => {
    const l = launch(tempDir(), await freePort());
    await waitFor(l, /ready/);
    const pids = childPids(l);
    l.proc.kill("SIGKILL");
    await l.exit;
    for (const pid of pids) expect(await gone(pid)).toBe(true);
  });
});
