/**
 * `tinyllama login`, `whoami` and `logout` against a real mock Cognito: the password login
 * (InitiateAuth; password from the flag, the environment, stdin, or a pipe to the real process),
 * and the browser login with a plain-HTTP "browser" that signs in through the hosted UI and
 * lands on the CLI's loopback listener. The saved token verifies (jose) against the mock's JWKS.
 */
import fs from "node:fs";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { runCli } from "../../services/cli/cli.ts";
import type { StoredLogin } from "../../services/cli/token-store.ts";
import {
  AUTHORIZE_URL,
  anyPortConfig,
  password,
  publicClientId,
  signInOverHttp,
  spawnCli,
  startCognito,
  tempDir,
  testIo,
  until,
} from "./helpers.ts";

let cognito: Cognito;
const dir = tempDir();
let n = 0;

beforeAll(async () => {
  cognito = await startCognito({ anyPort: true });
});
afterAll(async () => {
  await cognito.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh token file and the env pointing the CLI at the mock. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    TINYLLAMA_AUTH_URL: cognito.url,
    TINYLLAMA_TOKEN_FILE: path.join(dir, `t${++n}`, "token.json"),
    ...extra,
  };
}
const tokenFile = (e: NodeJS.ProcessEnv) => e.TINYLLAMA_TOKEN_FILE as string;
const saved = (e: NodeJS.ProcessEnv) => JSON.parse(fs.readFileSync(tokenFile(e), "utf8")) as StoredLogin;

async function verify(idToken: string) {
  const jwks = createRemoteJWKSet(new URL(`${cognito.issuer}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(idToken, jwks, { issuer: cognito.issuer, audience: publicClientId });
  return payload;
}

describe("login --username", () => {
  it("logs in with --password, saves only the ID token (0600), and the token verifies against the JWKS", async () => {
    const e = env();
    const { io, out } = testIo(e);
    const code = await runCli(["login", "--username", "alice", "--password", password("alice")], io, {
      config: anyPortConfig,
    });
    expect(out.stderr).toBe("");
    expect(code).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^Logged in as alice \\(the token is valid until .*\\); saved in ${tokenFile(e)}\\.`),
    );
    expect(fs.statSync(tokenFile(e)).mode & 0o777).toBe(0o600);
    const login = saved(e);
    expect(login).toMatchObject({
      username: "alice",
      method: "password",
      authUrl: cognito.url,
      clientId: publicClientId,
    });
    const claims = await verify(login.idToken);
    expect(claims).toMatchObject({ token_use: "id", "cognito:username": "alice" });
    expect(login.expiresAt).toBe(new Date((claims.exp as number) * 1000).toISOString());
  });

  it("takes the password from TINYLLAMA_PASSWORD, or from stdin, and prints JSON with --json", async () => {
    const e1 = env({ TINYLLAMA_PASSWORD: password("bob") });
    const a = testIo(e1);
    expect(await runCli(["login", "-u", "bob", "--json"], a.io, { config: anyPortConfig })).toBe(0);
    expect(JSON.parse(a.out.stdout)).toEqual({
      status: "logged_in",
      username: "bob",
      expiresAt: expect.any(String),
      method: "password",
      tokenFile: tokenFile(e1),
    });

    const e2 = env({ TINYLLAMA_PASSWORD: "not-this-one" });
    const b = testIo(e2, { secret: password("alice") });
    expect(await runCli(["login", "-u", "alice", "--password-stdin"], b.io, { config: anyPortConfig })).toBe(
      0,
    );
    expect(saved(e2).username).toBe("alice");
  });

  it("as a process: reads the password from a pipe and never echoes it", async () => {
    const e = env();
    const cli = spawnCli(["login", "--username", "alice"], e);
    cli.writeStdin(`${password("alice")}\n`);
    expect(await cli.exit).toBe(0);
    expect(cli.out.stdout).toMatch(/^Logged in as alice/);
    expect(cli.out.stdout + cli.out.stderr).not.toContain(password("alice"));
    await verify(saved(e).idToken);
  });

  it("refuses a wrong password with exit 3, names the fix, and saves nothing", async () => {
    const e = env();
    const { io, out } = testIo(e);
    const code = await runCli(["login", "--username", "alice", "--password", "wrong-pass-1"], io, {
      config: anyPortConfig,
    });
    expect(code).toBe(3);
    expect(out.stderr).toMatch(
      /^tinyllama: Cognito refused alice: Incorrect username or password\.: check the username and password/,
    );
    expect(fs.existsSync(tokenFile(e))).toBe(false);
  });

  it("says what is wrong with the command line (exit 2)", async () => {
    const { io, out } = testIo(env());
    expect(await runCli(["login", "--password", "x"], io, { config: anyPortConfig })).toBe(2);
    expect(out.stderr).toMatch(/a password needs --username U/);
    const b = testIo(env());
    expect(await runCli(["login", "-u", "alice", "--no-browser"], b.io, { config: anyPortConfig })).toBe(2);
    const c = testIo(env());
    expect(await runCli(["login", "--port", "http"], c.io, { config: anyPortConfig })).toBe(2);
    expect(c.out.stderr).toMatch(/--port http must be a whole number/);
  });
});

describe("login (browser)", () => {
  it("opens the browser at the hosted UI with PKCE S256, catches the callback, exchanges the code, saves the ID token", async () => {
    const e = env();
    let opened = "";
    let answer: { status: number; text: string } | undefined;
    const { io, out } = testIo(e, {
      openBrowser: async (url) => {
        opened = url;
        // The "browser" signs in while the CLI waits on its listener.
        void signInOverHttp(url, "alice").then((r) => {
          answer = r;
        });
      },
    });
    const code = await runCli(["login", "--port", "0"], io, { config: anyPortConfig });
    expect(out.stderr).toMatch(/Opened your browser to sign in; waiting 30 s for the callback/);
    expect(code).toBe(0);
    const url = new URL(opened);
    expect(url.origin).toBe(cognito.url);
    expect(url.pathname).toBe("/oauth2/authorize");
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("client_id")).toBe(publicClientId);
    expect(url.searchParams.get("scope")).toBe("openid email profile");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(url.searchParams.get("redirect_uri")).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const login = saved(e);
    expect(login).toMatchObject({ username: "alice", method: "browser" });
    const claims = await verify(login.idToken);
    expect(claims.nonce).toBe(url.searchParams.get("nonce"));
    const page = await until(() => answer, "the callback page");
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/You can close this tab/);
  });

  it("--no-browser prints the URL (and a JSON line with --json); a person opens it", async () => {
    const e = env();
    const { io, out } = testIo(e, {
      openBrowser: async () => {
        throw new Error("--no-browser must not open one");
      },
    });
    const run = runCli(["login", "--no-browser", "--port", "0", "--json"], io, { config: anyPortConfig });
    const url = await until(() => AUTHORIZE_URL.exec(out.stderr)?.[0], "the printed URL");
    expect(out.stderr).toMatch(/^Open this URL in a browser and sign in \(waiting 30 s for the callback\):/);
    await signInOverHttp(url, "bob");
    expect(await run).toBe(0);
    // One line while waiting, then the result.
    const newline = out.stdout.indexOf("\n");
    expect(JSON.parse(out.stdout.slice(0, newline))).toMatchObject({
      status: "waiting",
      authorizeUrl: url,
      timeoutMs: 30_000,
    });
    expect(JSON.parse(out.stdout.slice(newline + 1))).toMatchObject({
      status: "logged_in",
      username: "bob",
      method: "browser",
    });
  });

  it("prints the URL when no browser can be started", async () => {
    const e = env();
    const { io, out } = testIo(e, {
      openBrowser: async () => {
        throw new Error("xdg-open could not be started (ENOENT)");
      },
    });
    const run = runCli(["login", "--port", "0"], io, { config: anyPortConfig });
    const url = await until(() => AUTHORIZE_URL.exec(out.stderr)?.[0], "the printed URL");
    expect(out.stderr).toMatch(
      /Could not open a browser \(xdg-open could not be started \(ENOENT\)\)\. Open this URL yourself/,
    );
    await signInOverHttp(url, "alice");
    expect(await run).toBe(0);
  });

  it("gives up when nobody signs in within the limit (exit 3) and frees the port", async () => {
    const e = env({ TINYLLAMA_LOGIN_TIMEOUT_MS: "300" });
    const { io, out } = testIo(e);
    const code = await runCli(["login", "--no-browser", "--port", "0"], io, { config: anyPortConfig });
    expect(code).toBe(3);
    expect(out.stderr).toMatch(/tinyllama: no login callback within 300 ms: run `tinyllama login` again/);
    const redirect = new URL(
      new URL(AUTHORIZE_URL.exec(out.stderr)?.[0] ?? "").searchParams.get("redirect_uri") ?? "",
    );
    await expect(fetch(redirect)).rejects.toThrow();
    expect(fs.existsSync(tokenFile(e))).toBe(false);
  });

  it("refuses an unregistered callback port before opening anything (the real pool matches exactly)", async () => {
    const { io, out } = testIo(env());
    expect(await runCli(["login", "--port", "9999"], io)).toBe(1);
    expect(out.stderr).toMatch(/http:\/\/127\.0\.0\.1:9999\/callback is not a registered callback URL/);
  });
});

describe("whoami and logout", () => {
  it("shows the login, then logout deletes the token and prints the hosted-UI sign-out URL", async () => {
    const e = env();
    const opts = { config: anyPortConfig };
    expect(await runCli(["login", "-u", "alice", "--password", password("alice")], testIo(e).io, opts)).toBe(
      0,
    );

    const who = testIo(e);
    expect(await runCli(["whoami", "--json"], who.io, opts)).toBe(0);
    expect(JSON.parse(who.out.stdout)).toMatchObject({
      username: "alice",
      expired: false,
      tokenFile: tokenFile(e),
    });

    const out1 = testIo(e);
    expect(await runCli(["logout"], out1.io, opts)).toBe(0);
    expect(out1.out.stdout).toContain(`Logged out: deleted ${tokenFile(e)}.`);
    const logoutUrl = new URL(/\s(http\S+\/logout\?\S+)/.exec(out1.out.stdout)?.[1] ?? "");
    expect(Object.fromEntries(logoutUrl.searchParams)).toEqual({
      client_id: publicClientId,
      logout_uri: "http://127.0.0.1:8765/logged-out",
    });
    // The mock accepts it: a registered sign-out URL.
    const res = await fetch(logoutUrl, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://127.0.0.1:8765/logged-out");
    expect(fs.existsSync(tokenFile(e))).toBe(false);

    const again = testIo(e);
    expect(await runCli(["whoami"], again.io, opts)).toBe(3);
    expect(again.out.stderr).toBe("tinyllama: not logged in: run `tinyllama login`\n");
    const out2 = testIo(e);
    expect(await runCli(["logout", "--json"], out2.io, opts)).toBe(0);
    expect(JSON.parse(out2.out.stdout)).toMatchObject({ status: "logged_out", deleted: false });
  });
});
