import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { KEYS_FILE } from "../../emulators/cognito/keys.ts";
import { idp, passwordLogin, publicClient, startMock } from "./helpers.ts";

const dirs: string[] = [];
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cognito-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("keys on a data dir", () => {
  it("keeps tokens verifiable and refreshable after a restart on the same data dir", async () => {
    const dataDir = tempDir();
    const first = await startMock({ dataDir });
    const port = Number(new URL(first.url).port);
    const tokens = await passwordLogin(first.url, "admin");
    const jwksBefore = await (await fetch(`${first.issuer}/.well-known/jwks.json`)).json();
    await first.close();
    expect(fs.statSync(path.join(dataDir, KEYS_FILE)).mode & 0o777).toBe(0o600);

    const second = await startMock({ dataDir, port });
    try {
      expect(second.issuer).toBe(first.issuer);
      expect(await (await fetch(`${second.issuer}/.well-known/jwks.json`)).json()).toEqual(jwksBefore);
      const jwks = createRemoteJWKSet(new URL(`${second.issuer}/.well-known/jwks.json`));
      await jwtVerify(tokens.IdToken, jwks, { issuer: second.issuer, audience: publicClient.clientId });
      await jwtVerify(tokens.AccessToken, jwks, { issuer: second.issuer });
      const { res } = await idp(second.url, "InitiateAuth", {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: publicClient.clientId,
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken },
      });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it("makes new keys on each start without a data dir", async () => {
    const a = await startMock();
    const b = await startMock();
    try {
      const kids = async (url: string) =>
        (
          (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
        ).keys.map((k) => k.kid);
      expect(await kids(a.issuer)).not.toEqual(await kids(b.issuer));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("refuses a damaged keys file and names the fix", async () => {
    const dataDir = tempDir();
    fs.writeFileSync(path.join(dataDir, KEYS_FILE), "{ nope");
    await expect(startMock({ dataDir })).rejects.toThrow(
      /keys.json is not readable JSON .*delete .*keys.json to make new keys/,
    );
    fs.writeFileSync(path.join(dataDir, KEYS_FILE), "{}");
    await expect(startMock({ dataDir })).rejects.toThrow(/does not hold the mock Cognito's keys/);
  });
});

describe("emulators/cognito/main.ts", () => {
  it("serves on the given port, logs JSON, and stops on SIGTERM", async () => {
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      ["emulators/cognito/main.ts", "--port", "0", "--data-dir", dataDir],
      {
        cwd: path.resolve(import.meta.dirname, "../.."),
        env: { ...process.env, LOG_LEVEL: "info" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    const listening = await new Promise<{ url: string; issuer: string }>((resolve, reject) => {
      child.stdout.on("data", () => {
        const line = out.split("\n").find((l) => l.includes('"mock Cognito listening"'));
        if (line) resolve(JSON.parse(line));
      });
      child.on("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    expect(listening.issuer).toBe(`${listening.url}/us-east-1_TinyLlama`);
    expect((await fetch(`${listening.issuer}/.well-known/jwks.json`)).status).toBe(200);
    expect(fs.existsSync(path.join(dataDir, KEYS_FILE))).toBe(true);
    child.kill("SIGTERM");
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect(out).toContain('"msg":"stopped"');
  });

  it("exits 2 with the fix for a bad port", async () => {
    const child = spawn(process.execPath, ["emulators/cognito/main.ts", "--port", "nope"], {
      cwd: path.resolve(import.meta.dirname, "../.."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c) => {
      out += c;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect(code).toBe(2);
    expect(out).toMatch(/is not a port number: pass --port/);
  });
});
