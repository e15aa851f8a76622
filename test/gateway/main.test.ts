/**
 * `npm run gateway` as a process: it fails at once, naming the fix, when the access log group is
 * missing; otherwise it serves, and on SIGTERM exits 0 after its access-log lines reached the
 * log group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { DescribeLogStreamsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulators/aws/server.ts";
import { freePort } from "../../scripts/lib/free-port.ts";
import { createLogsClient } from "../../services/lib/aws-clients.ts";
import { loadConfig, repoRoot } from "../../services/lib/config.ts";
import { ensureLogGroup } from "./helpers.ts";

const config = loadConfig();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function run(env: Record<string, string>): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, ["services/gateway/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  proc.stdout?.on("data", (c: Buffer) => (text += c.toString()));
  proc.stderr?.on("data", (c: Buffer) => (text += c.toString()));
  cleanups.push(() => proc.exitCode === null && proc.kill("SIGKILL"));
  return { proc, output: () => text };
}

describe("services/gateway/main.ts", () => {
  it("exits 1 naming the fix when the access log group does not exist", async () => {
    const emulator = await startEmulator({ port: 0 });
    cleanups.push(() => emulator.close());
    const { proc, output } = run({ AWS_ENDPOINT_URL: emulator.url, GATEWAY_PORT: String(await freePort()) });
    const [code] = await once(proc, "exit");
    expect(code).toBe(1);
    expect(output()).toContain(`log group ${config.logs.accessLogGroup} does not exist: provision it`);
  });

  it("serves, and on SIGTERM flushes its access log to the log group and exits 0", async () => {
    const emulator = await startEmulator({ port: 0 });
    cleanups.push(() => emulator.close());
    const logs = createLogsClient({ endpoint: emulator.url, region: config.region });
    await ensureLogGroup(logs, config.logs.accessLogGroup);
    const port = await freePort();
    const { proc, output } = run({ AWS_ENDPOINT_URL: emulator.url, GATEWAY_PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (proc.exitCode !== null || i > 100) throw new Error(`gateway did not start:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const res = await fetch(`${url}/ping`, { headers: { "user-agent": "main-test" } });
    expect(res.status).toBe(401);
    proc.kill("SIGTERM");
    const [code] = await once(proc, "exit");
    expect(code).toBe(0);

    const { logStreams = [] } = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: config.logs.accessLogGroup }),
    );
    expect(logStreams).toHaveLength(1);
    const { events = [] } = await logs.send(
      new GetLogEventsCommand({
        logGroupName: config.logs.accessLogGroup,
        logStreamName: logStreams[0]?.logStreamName,
        startFromHead: true,
      }),
    );
    const lines = events.map((e) => JSON.parse(e.message ?? "{}"));
    expect(lines).toContainEqual(
      expect.objectContaining({ route: "GET /ping", status: 401, userAgent: "main-test", jwtSub: null }),
    );
    expect(output()).toMatch(/"access":\{"requestId"/); // the same line on stdout
  });
});
