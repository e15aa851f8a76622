/**
 * The login's loopback listener over real HTTP: it takes exactly one good callback and closes,
 * refuses a callback with another login's state (and keeps waiting for the right one), reports
 * Cognito's error callbacks, gives up after its time limit (shortened here from 30 s), and says
 * what to do when its port is taken.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startLoopback } from "../../services/cli/loopback.ts";

const ANY_PORT = "http://127.0.0.1:0/callback";

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED";
  }
}

describe("loopback listener", () => {
  it("takes one callback: answers 'you can close this tab', resolves the code, then stops listening", async () => {
    const lb = await startLoopback({ redirectUri: ANY_PORT, state: "s1" });
    expect(lb.redirectUri).toBe(`http://127.0.0.1:${lb.port}/callback`);
    const res = await fetch(`${lb.redirectUri}?code=abc&state=s1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toMatch(/You can close this tab/);
    await expect(lb.code).resolves.toBe("abc");
    await lb.close();
    expect(await refused(`${lb.redirectUri}?code=again&state=s1`)).toBe(true);
  });

  it("refuses a state mismatch and a missing code, answers 404 elsewhere, and still takes the right callback", async () => {
    const lb = await startLoopback({ redirectUri: ANY_PORT, state: "right" });
    const wrong = await fetch(`${lb.redirectUri}?code=stolen&state=wrong`);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toMatch(/state mismatch/);
    expect((await fetch(`${lb.redirectUri}?code=x`)).status).toBe(400);
    expect((await fetch(`${lb.redirectUri}?state=right`)).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${lb.port}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${lb.redirectUri}?code=good&state=right`)).status).toBe(200);
    await expect(lb.code).resolves.toBe("good");
    await lb.close();
  });

  it("ends the login when Cognito sends an error back with this login's state", async () => {
    const lb = await startLoopback({ redirectUri: ANY_PORT, state: "s" });
    const res = await fetch(`${lb.redirectUri}?error=access_denied&error_description=no+thanks&state=s`);
    expect(res.status).toBe(400);
    await expect(lb.code).rejects.toThrow(
      /Cognito refused the login: access_denied \(no thanks\): run `tinyllama login` again/,
    );
    await lb.close();
  });

  it("gives up after its time limit, names the fix, and stops listening", async () => {
    const started = Date.now();
    const lb = await startLoopback({ redirectUri: ANY_PORT, state: "s", timeoutMs: 300 });
    await expect(lb.code).rejects.toMatchObject({
      code: "timeout",
      message: expect.stringMatching(
        /no login callback within 300 ms: run `tinyllama login` again.*--no-browser/,
      ),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await lb.close();
    expect(await refused(lb.redirectUri)).toBe(true);
  });

  it("defaults to a 30-s limit", async () => {
    const lb = await startLoopback({ redirectUri: ANY_PORT, state: "s" });
    const settled = await Promise.race([
      lb.code.then(
        () => "resolved",
        () => "rejected",
      ),
      new Promise((resolve) => setTimeout(() => resolve("pending"), 200)),
    ]);
    expect(settled).toBe("pending");
    await lb.close();
    await expect(lb.code).rejects.toThrow(/cancelled/);
  });

  it("says the port is taken and how to get past it", async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(
        startLoopback({ redirectUri: `http://127.0.0.1:${port}/callback`, state: "s" }),
      ).rejects.toThrow(new RegExp(`port ${port} on 127.0.0.1 is in use .*--port`));
    } finally {
      blocker.close();
    }
  });

  it("listens only on 127.0.0.1 redirects", async () => {
    await expect(
      startLoopback({ redirectUri: "http://localhost:8765/callback", state: "s" }),
    ).rejects.toThrow(/must be http:\/\/127\.0\.0\.1/);
  });
});
