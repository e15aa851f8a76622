/**
 * The saved login: only the ID token and what the CLI shows about it, in a file only the user
 * can read (0600 in a 0700 directory), replaced atomically; a damaged file says how to recover.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { deleteLogin, loadLogin, loginFromToken, saveLogin } from "../../services/cli/token-store.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fakeIdToken(claims: Record<string, unknown>): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", kid: "k" })}.${part(claims)}.c2ln`;
}

const token = fakeIdToken({ sub: "s-1", "cognito:username": "alice", exp: 2_000_000_000, token_use: "id" });
const login = loginFromToken(token, {
  authUrl: "http://127.0.0.1:9229",
  clientId: "c",
  method: "browser",
  now: Date.UTC(2030, 0, 1),
});

describe("token store", () => {
  it("reads the user and expiry from the token", () => {
    expect(login).toEqual({
      idToken: token,
      username: "alice",
      expiresAt: "2033-05-18T03:33:20.000Z",
      authUrl: "http://127.0.0.1:9229",
      clientId: "c",
      method: "browser",
      savedAt: "2030-01-01T00:00:00.000Z",
    });
  });

  it("writes a 0600 file in a new 0700 directory, readable back, with no refresh or access token", async () => {
    const file = path.join(dir, "a", "tinyllama", "token.json");
    await saveLogin(file, login);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(await loadLogin(file)).toEqual(login);
    const raw = fs.readFileSync(file, "utf8");
    expect(raw).not.toMatch(/refresh|access/i);
    expect(Object.keys(JSON.parse(raw)).sort()).toEqual(
      ["authUrl", "clientId", "expiresAt", "idToken", "method", "savedAt", "username"].sort(),
    );
  });

  it("stays 0600 under a permissive umask and when replacing a file someone loosened; leaves no temp files", async () => {
    const file = path.join(dir, "b", "token.json");
    const old = process.umask(0);
    try {
      await saveLogin(file, login);
      fs.chmodSync(file, 0o644);
      await saveLogin(file, { ...login, username: "bob" });
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((await loadLogin(file))?.username).toBe("bob");
    expect(fs.readdirSync(path.dirname(file))).toEqual(["token.json"]);
  });

  it("has no login when the file is absent, and says to log in again when it is damaged", async () => {
    expect(await loadLogin(path.join(dir, "nothing.json"))).toBeUndefined();
    const bad = path.join(dir, "bad.json");
    fs.writeFileSync(bad, "{not json");
    await expect(loadLogin(bad)).rejects.toThrow(/is damaged: run `tinyllama login` to replace it/);
    fs.writeFileSync(bad, "{}");
    await expect(loadLogin(bad)).rejects.toThrow(/is damaged/);
  });

  it("deletes the file, and says whether there was one", async () => {
    const file = path.join(dir, "c", "token.json");
    await saveLogin(file, login);
    expect(await deleteLogin(file)).toBe(true);
    expect(fs.existsSync(file)).toBe(false);
    expect(await deleteLogin(file)).toBe(false);
  });
});
