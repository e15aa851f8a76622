/**
 * The AWS CLI, an independent client, against the mock's cognito-idp JSON API: `initiate-auth`
 * and `get-user`, success and a Cognito error. Skipped when no `aws` is on PATH. Credentials are
 * dummies; HOME and the config files point into a temp dir so no user configuration leaks in.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { publicClient, startMock, user } from "./helpers.ts";

const hasCli = (() => {
  try {
    execFileSync("aws", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const home = fs.mkdtempSync(path.join(os.tmpdir(), "cognito-cli-home-"));
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
  HOME: home,
  AWS_CONFIG_FILE: path.join(home, "config"),
  AWS_SHARED_CREDENTIALS_FILE: path.join(home, "credentials"),
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_PAGER: "",
  AWS_MAX_ATTEMPTS: "1",
  LANG: "C.UTF-8",
};

let mock: Cognito;
function aws(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "aws",
      ["cognito-idp", ...args, "--endpoint-url", mock.url, "--output", "json"],
      { env },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!hasCli)(`aws cognito-idp${hasCli ? "" : " (skipped: no aws CLI on PATH)"}`, () => {
  beforeAll(async () => {
    mock = await startMock();
  });
  afterAll(async () => {
    await mock.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("initiate-auth returns tokens and get-user reads the user back", async () => {
    const auth = await aws([
      "initiate-auth",
      "--auth-flow",
      "USER_PASSWORD_AUTH",
      "--client-id",
      publicClient.clientId,
      "--auth-parameters",
      `USERNAME=bob,PASSWORD=${user("bob").password}`,
    ]);
    expect(auth.stderr).toBe("");
    const result = JSON.parse(auth.stdout).AuthenticationResult;
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: "Bearer" });
    const me = await aws(["get-user", "--access-token", result.AccessToken]);
    expect(JSON.parse(me.stdout).Username).toBe("bob");
  });

  it("a wrong password is NotAuthorizedException", async () => {
    const res = await aws([
      "initiate-auth",
      "--auth-flow",
      "USER_PASSWORD_AUTH",
      "--client-id",
      publicClient.clientId,
      "--auth-parameters",
      "USERNAME=bob,PASSWORD=wrong-pass-1",
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("(NotAuthorizedException)");
    expect(res.stderr).toContain("Incorrect username or password.");
  });
});
