import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretHash } from "../../emulators/cognito/idp-api.ts";
import { stableSub } from "../../emulators/cognito/pool.ts";
import type { Cognito } from "../../emulators/cognito/server.ts";
import {
  confidentialClient,
  confidentialSecret,
  idp,
  ManualClock,
  passwordLogin,
  poolId,
  publicClient,
  startMock,
  user,
} from "./helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const clock = new ManualClock();
let mock: Cognito;
beforeAll(async () => {
  mock = await startMock({ clock });
});
afterAll(() => mock.close());

const initiate = (
  AuthParameters: Record<string, string>,
  ClientId = publicClient.clientId,
  AuthFlow = "USER_PASSWORD_AUTH",
) => idp(mock.url, "InitiateAuth", { AuthFlow, ClientId, AuthParameters });

async function expectError(
  call: Promise<{ res: Response; json: Record<string, unknown> }>,
  type: string,
  message: string | RegExp,
) {
  const { res, json } = await call;
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
  expect(res.headers.get("x-amzn-errortype")).toBe(`${type}:`);
  expect(res.headers.get("x-amzn-requestid")).toMatch(UUID);
  expect(json.__type).toBe(type);
  if (typeof message === "string") expect(json.message).toBe(message);
  else expect(json.message).toMatch(message);
}

describe("InitiateAuth USER_PASSWORD_AUTH", () => {
  it("returns Cognito's AuthenticationResult", async () => {
    const { res, json } = await initiate({ USERNAME: "alice", PASSWORD: user("alice").password });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(json.ChallengeParameters).toEqual({});
    const result = json.AuthenticationResult as Record<string, unknown>;
    expect(Object.keys(result).sort()).toEqual([
      "AccessToken",
      "ExpiresIn",
      "IdToken",
      "RefreshToken",
      "TokenType",
    ]);
    expect(result.ExpiresIn).toBe(3600);
    expect(result.TokenType).toBe("Bearer");
    expect(String(result.RefreshToken).split(".")).toHaveLength(5); // opaque (JWE), not a JWT
  });

  it("issues an ID token with Cognito's claims (no at_hash or nonce in this flow)", async () => {
    const now = Math.floor(clock.now() / 1000);
    const tokens = await passwordLogin(mock.url, "admin");
    const id = decodeJwt(tokens.IdToken);
    expect(id).toEqual({
      sub: stableSub(poolId, "admin"),
      "cognito:groups": ["admins"],
      email_verified: true,
      iss: mock.issuer,
      "cognito:username": "admin",
      origin_jti: expect.stringMatching(UUID),
      aud: publicClient.clientId,
      event_id: expect.stringMatching(UUID),
      token_use: "id",
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: expect.stringMatching(UUID),
      email: "admin@example.com",
    });
    expect(id.sub).toMatch(UUID);
  });

  it("issues an access token without aud, with client_id, scope, username and version 2", async () => {
    const now = Math.floor(clock.now() / 1000);
    const tokens = await passwordLogin(mock.url, "admin");
    const id = decodeJwt(tokens.IdToken);
    const access = decodeJwt(tokens.AccessToken);
    expect(access).toEqual({
      sub: id.sub,
      "cognito:groups": ["admins"],
      iss: mock.issuer,
      version: 2,
      client_id: publicClient.clientId,
      origin_jti: id.origin_jti,
      event_id: id.event_id,
      token_use: "access",
      scope: "aws.cognito.signin.user.admin",
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: expect.stringMatching(UUID),
      username: "admin",
    });
    expect(access.jti).not.toBe(id.jti);
  });

  it("leaves cognito:groups out for a user without groups; sub is stable per user", async () => {
    const a = await passwordLogin(mock.url, "alice");
    const b = await passwordLogin(mock.url, "bob");
    for (const t of [a.IdToken, a.AccessToken]) expect(decodeJwt(t)).not.toHaveProperty("cognito:groups");
    expect(decodeJwt(a.IdToken).sub).toBe(decodeJwt((await passwordLogin(mock.url, "alice")).IdToken).sub);
    expect(decodeJwt(a.IdToken).sub).not.toBe(decodeJwt(b.IdToken).sub);
  });

  it("accepts the username in any case, like a case-insensitive pool", async () => {
    const { res, json } = await initiate({ USERNAME: "ALICE", PASSWORD: user("alice").password });
    expect(res.status).toBe(200);
    const id = decodeJwt((json.AuthenticationResult as { IdToken: string }).IdToken);
    expect(id["cognito:username"]).toBe("alice");
  });

  it("refuses a wrong password and an unknown user alike (PreventUserExistenceErrors)", async () => {
    await expectError(
      initiate({ USERNAME: "alice", PASSWORD: "wrong-pass-1" }),
      "NotAuthorizedException",
      "Incorrect username or password.",
    );
    await expectError(
      initiate({ USERNAME: "mallory", PASSWORD: "whatever-1" }),
      "NotAuthorizedException",
      "Incorrect username or password.",
    );
  });

  it("reveals UserNotFoundException only for a client with PreventUserExistenceErrors off (LEGACY)", async () => {
    const legacy = await startMock({
      configure: (c) => {
        const client = c.cognito.clients[0];
        if (client) client.preventUserExistenceErrors = false;
      },
    });
    try {
      const call = idp(legacy.url, "InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: publicClient.clientId,
        AuthParameters: { USERNAME: "mallory", PASSWORD: "whatever-1" },
      });
      await expectError(call, "UserNotFoundException", "User does not exist.");
    } finally {
      await legacy.close();
    }
  });

  it("answers InvalidParameterException for missing parameters and unsupported flows", async () => {
    await expectError(
      initiate({ PASSWORD: "x" }),
      "InvalidParameterException",
      "Missing required parameter USERNAME",
    );
    await expectError(
      initiate({ USERNAME: "alice" }),
      "InvalidParameterException",
      "Missing required parameter PASSWORD",
    );
    await expectError(
      idp(mock.url, "InitiateAuth", { AuthFlow: "USER_PASSWORD_AUTH" }),
      "InvalidParameterException",
      /Value null at 'clientId'/,
    );
    await expectError(
      initiate({}, publicClient.clientId, "MAGIC"),
      "InvalidParameterException",
      /at 'authFlow' failed to satisfy constraint/,
    );
    await expectError(
      initiate({}, publicClient.clientId, "USER_SRP_AUTH"),
      "InvalidParameterException",
      /USER_SRP_AUTH is not supported by the mock/,
    );
  });

  it("answers InvalidParameterException when the client does not allow the flow", async () => {
    const strict = await startMock({
      configure: (c) => {
        const client = c.cognito.clients[0];
        if (client) client.authFlows = ["ALLOW_REFRESH_TOKEN_AUTH"];
      },
    });
    try {
      const call = idp(strict.url, "InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: publicClient.clientId,
        AuthParameters: { USERNAME: "alice", PASSWORD: user("alice").password },
      });
      await expectError(
        call,
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
      );
    } finally {
      await strict.close();
    }
  });

  it("answers ResourceNotFoundException for an unknown client", async () => {
    await expectError(
      initiate({ USERNAME: "alice", PASSWORD: "x" }, "0000000000000000000000000a"),
      "ResourceNotFoundException",
      "User pool client 0000000000000000000000000a does not exist.",
    );
  });

  it("requires SECRET_HASH for a client with a secret", async () => {
    const params = { USERNAME: "bob", PASSWORD: user("bob").password };
    await expectError(
      initiate(params, confidentialClient.clientId),
      "NotAuthorizedException",
      /configured for secret but secret was not received/,
    );
    await expectError(
      initiate({ ...params, SECRET_HASH: "bm9wZQ==" }, confidentialClient.clientId),
      "NotAuthorizedException",
      `Unable to verify secret hash for client ${confidentialClient.clientId}`,
    );
    const hash = secretHash(confidentialSecret, "bob", confidentialClient.clientId);
    const { res, json } = await initiate({ ...params, SECRET_HASH: hash }, confidentialClient.clientId);
    expect(res.status).toBe(200);
    expect(decodeJwt((json.AuthenticationResult as { IdToken: string }).IdToken).aud).toBe(
      confidentialClient.clientId,
    );
  });
});

describe("InitiateAuth REFRESH_TOKEN_AUTH", () => {
  it("returns new ID and access tokens of the same sign-in, and no new refresh token", async () => {
    const first = await passwordLogin(mock.url, "alice");
    clock.advance(10 * 60 * 1000);
    const { res, json } = await initiate(
      { REFRESH_TOKEN: first.RefreshToken },
      publicClient.clientId,
      "REFRESH_TOKEN_AUTH",
    );
    expect(res.status).toBe(200);
    const result = json.AuthenticationResult as Record<string, string>;
    expect(result).not.toHaveProperty("RefreshToken");
    const before = decodeJwt(first.IdToken);
    const after = decodeJwt(result.IdToken ?? "");
    expect(after.origin_jti).toBe(before.origin_jti);
    expect(after.auth_time).toBe(before.auth_time);
    expect(after.jti).not.toBe(before.jti);
    expect(after.iat).toBe((before.iat ?? 0) + 600);
    expect(decodeJwt(result.AccessToken ?? "").origin_jti).toBe(before.origin_jti);
  });

  it("refuses a garbage, foreign or expired refresh token", async () => {
    const refresh = (REFRESH_TOKEN: string, client = publicClient.clientId) =>
      initiate({ REFRESH_TOKEN }, client, "REFRESH_TOKEN_AUTH");
    await expectError(refresh("not-a-token"), "NotAuthorizedException", "Invalid Refresh Token");
    const tokens = await passwordLogin(mock.url, "alice");
    const hash = secretHash(confidentialSecret, "alice", confidentialClient.clientId);
    await expectError(
      idp(mock.url, "InitiateAuth", {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: confidentialClient.clientId,
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken, SECRET_HASH: hash },
      }),
      "NotAuthorizedException",
      "Invalid Refresh Token",
    );
    await expectError(refresh(""), "InvalidParameterException", "Missing required parameter REFRESH_TOKEN");
    clock.advance(31 * 86_400_000);
    await expectError(refresh(tokens.RefreshToken), "NotAuthorizedException", "Invalid Refresh Token");
  });
});

describe("GetUser", () => {
  it("returns Username and UserAttributes for an InitiateAuth access token", async () => {
    const tokens = await passwordLogin(mock.url, "bob");
    const { res, json } = await idp(mock.url, "GetUser", { AccessToken: tokens.AccessToken });
    expect(res.status).toBe(200);
    expect(json).toEqual({
      Username: "bob",
      UserAttributes: [
        { Name: "email", Value: "bob@example.com" },
        { Name: "email_verified", Value: "true" },
        { Name: "sub", Value: stableSub(poolId, "bob") },
      ],
    });
  });

  it("refuses an ID token, garbage, an expired token, and a missing one", async () => {
    const tokens = await passwordLogin(mock.url, "bob");
    await expectError(
      idp(mock.url, "GetUser", { AccessToken: tokens.IdToken }),
      "NotAuthorizedException",
      "Invalid Access Token",
    );
    await expectError(
      idp(mock.url, "GetUser", { AccessToken: "x.y.z" }),
      "NotAuthorizedException",
      "Invalid Access Token",
    );
    await expectError(
      idp(mock.url, "GetUser", {}),
      "InvalidParameterException",
      /Value null at 'accessToken'/,
    );
    clock.advance(61 * 60 * 1000);
    await expectError(
      idp(mock.url, "GetUser", { AccessToken: tokens.AccessToken }),
      "NotAuthorizedException",
      "Access Token has expired",
    );
  });
});

describe("the JSON API envelope", () => {
  it("answers UnknownOperationException for other targets", async () => {
    await expectError(
      idp(mock.url, "SignUp", {}),
      "UnknownOperationException",
      /SignUp is not an operation of the mock/,
    );
    await expectError(
      idp(mock.url, "InitiateAuth", {}, { "x-amz-target": "" }),
      "UnknownOperationException",
      /no X-Amz-Target/,
    );
  });

  it("answers SerializationException for a body that is not JSON", async () => {
    await expectError(idp(mock.url, "InitiateAuth", "{nope"), "SerializationException", /not valid JSON/);
  });
});
