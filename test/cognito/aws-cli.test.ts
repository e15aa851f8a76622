/**
 * The AWS CLI, an independent client, against the mock's cognito-idp JSON API: `initiate-auth`
 * and `get-user`, success and a Cognito error. Skipped when no `aws` is on PATH. Credentials are
 * dummies; HOME and the config files point into a temp dir so no user configuration leaks in.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Cognito } from "../../emulators/cognito/server.ts";
import { isolatedAwsEnv, runAwsCli } from "../helpers/aws-cli.ts";
import { publicClient, startMock, user } from "./helpers.ts";

const hasCli = (() => {
  try {
    execFileSync("aws", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const { env, remove: removeHome } = isolatedAwsEnv("cognito-cli-home-");

let mock: Cognito;
const aws = (args: string[]) =>
  runAwsCli("aws", ["cognito-idp", ...args, "--endpoint-url", mock.url, "--output", "json"], env);

describe.skipIf(!hasCli)(`aws cognito-idp${hasCli ? "" : " (skipped: no aws CLI on PATH)"}`, () => {
  beforeAll(async () => {
    mock = await startMock();
  });
  afterAll(async () => {
    await mock.close();
    removeHome();
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
