/**
 * The whole desktop login with a real browser (API-005's "headless Chrome + local Cognito stub"):
 * `tinyllama login --no-browser` runs as a process against the mock Cognito with the committed
 * config (callback http://127.0.0.1:8765/callback, matched exactly), the test opens the printed
 * URL in headless Debian Chromium (playwright-core, a fresh empty profile), fills the hosted-UI
 * form, and the CLI's loopback listener catches the code; the saved ID token verifies (jose)
 * against the mock's JWKS. Skips, saying why, when /usr/bin/chromium is missing.
 */
import fs from "node:fs";
import path from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import type { StoredLogin } from "../../services/cli/token-store.ts";
import {
  AUTHORIZE_URL,
  password,
  publicClientId,
  spawnCli,
  startCognito,
  tempDir,
  until,
} from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `skipping the headless-Chromium login test: ${CHROMIUM} is missing (apt-get install chromium, or run make test as root)`,
  );

describe.skipIf(!haveChromium)(`hosted-UI login in headless Chromium (${CHROMIUM})`, () => {
  let cognito: Cognito;
  let browser: Browser;
  const dir = tempDir("tinyllama-chromium-");

  beforeAll(async () => {
    cognito = await startCognito();
    // launch() starts Chromium on a new, empty, temporary user-data dir of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await cognito?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("signs in through the hosted UI; the CLI catches the code on :8765 and saves a token that verifies", async () => {
    const tokenFile = path.join(dir, "config", "tinyllama", "token.json");
    const cli = spawnCli(["login", "--no-browser"], {
      TINYLLAMA_AUTH_URL: cognito.url,
      TINYLLAMA_TOKEN_FILE: tokenFile,
    });
    try {
      const url = await until(() => AUTHORIZE_URL.exec(cli.out.stderr)?.[0], "the URL the CLI prints");
      expect(new URL(url).searchParams.get("redirect_uri")).toBe("http://127.0.0.1:8765/callback");

      const page = await (await browser.newContext()).newPage();
      await page.goto(url);
      expect(new URL(page.url()).pathname).toBe("/login");
      // A wrong password first: the form says so, and the CLI keeps waiting.
      await page.fill("#username", "alice");
      await page.fill("#password", "not-the-password");
      await page.click("#signInSubmitButton");
      await expect(page.locator("#loginErrorMessage").textContent()).resolves.toMatch(
        /Incorrect username or password/,
      );
      await page.fill("#username", "alice");
      await page.fill("#password", password("alice"));
      await Promise.all([
        page.waitForURL(/^http:\/\/127\.0\.0\.1:8765\/callback\?/),
        page.click("#signInSubmitButton"),
      ]);
      await expect(page.locator("h1").textContent()).resolves.toBe("You are logged in");
      await expect(page.locator("body").textContent()).resolves.toMatch(/You can close this tab/);

      expect(await cli.exit).toBe(0);
      expect(cli.out.stdout).toMatch(/^Logged in as alice/);
      expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
      const saved = JSON.parse(fs.readFileSync(tokenFile, "utf8")) as StoredLogin;
      expect(saved.method).toBe("browser");
      const jwks = createRemoteJWKSet(new URL(`${cognito.issuer}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(saved.idToken, jwks, {
        issuer: cognito.issuer,
        audience: publicClientId,
      });
      expect(payload).toMatchObject({ token_use: "id", "cognito:username": "alice" });
      expect(payload.nonce).toBe(new URL(url).searchParams.get("nonce"));
    } finally {
      cli.kill();
    }
  });
});
