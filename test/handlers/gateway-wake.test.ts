/**
 * The gateway's enqueue hook as `npm run gateway` wires it: a real gateway process in front of the
 * emulator and the mock Cognito; one POST /infer boots the stopped GPU instance at once, with no
 * harness running (the waker's schedule is only the safety net).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { repoRoot } from "../../services/lib/config.ts";
import { password, publicClientId, startCognito } from "../cli/helpers.ts";
import { login } from "../gateway/helpers.ts";
import { type Aws, sleep, startAws, stateOf, waitForState } from "./helpers.ts";

let aws: Aws;
let cognito: Cognito;
let gateway: ChildProcess;
let url: string;
let output = "";

beforeAll(async () => {
  aws = await startAws({ pendingMs: 300, stoppingMs: 300 });
  cognito = await startCognito();
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = spawn(process.execPath, ["services/gateway/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...aws.env,
      COGNITO_ISSUER: cognito.issuer,
      GATEWAY_PORT: String(port),
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const s of [gateway.stdout, gateway.stderr]) s?.on("data", (d: Buffer) => (output += d.toString()));
  const end = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (gateway.exitCode !== null || Date.now() > end)
      throw new Error(`the gateway did not start:\n${output}`);
    await sleep(50);
  }
});
afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((resolve) => gateway.once("exit", resolve));
    gateway.kill("SIGTERM");
    await exited;
  }
  await cognito?.close();
  await aws?.close();
});

describe("gateway onEnqueue -> waker", () => {
  it("POST /infer boots the stopped GPU instance", async () => {
    expect(await stateOf(aws)).toBe("stopped");
    const { IdToken } = await login(cognito.url, publicClientId, "alice", password("alice"));
    const res = await fetch(`${url}/infer`, {
      method: "POST",
      headers: { authorization: `Bearer ${IdToken}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "wake up" }),
    });
    expect(res.status).toBe(202);
    await waitForState(aws, "running", 5000);
    expect(output).toMatch(/waker after enqueue: started, a job was enqueued/);
  });
});
