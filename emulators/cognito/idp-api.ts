/**
 * The cognito-idp JSON API on `POST /` (`X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`,
 * `application/x-amz-json-1.1`): InitiateAuth (USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH) and
 * GetUser. Requests are not signed (Cognito ignores IAM credentials here). Shapes are written by
 * hand: the few members used do not justify a dependency on @aws-sdk/client-cognito-identity-provider.
 */
import { createHmac, randomUUID } from "node:crypto";
import express, { Router } from "express";
import type { Logger } from "../../services/lib/logger.ts";
import {
  clientNotFound,
  IdpError,
  incorrectCredentials,
  invalidParameter,
  missingMember,
  notAuthorized,
  serialization,
  unknownOperation,
  userNotFound,
} from "./idp-errors.ts";
import { type AppClient, type Pool, type PoolUser, sameSecret } from "./pool.ts";
import type { TokenService } from "./tokens.ts";

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE = "application/x-amz-json-1.1";
/** The reserved scope of tokens from the JSON API (and what GetUser requires). */
export const ADMIN_SCOPE = "aws.cognito.signin.user.admin";
const AUTH_FLOWS = [
  "USER_SRP_AUTH",
  "REFRESH_TOKEN_AUTH",
  "REFRESH_TOKEN",
  "CUSTOM_AUTH",
  "USER_PASSWORD_AUTH",
  "ADMIN_USER_PASSWORD_AUTH",
  "USER_AUTH",
];

type Input = Record<string, unknown>;
type Operation = (input: Input) => Promise<Record<string, unknown>>;

export function idpApiRoutes(deps: { pool: Pool; tokens: TokenService; log: Logger }) {
  const { pool, tokens, log } = deps;

  async function InitiateAuth(input: Input) {
    const clientId = str(input, "ClientId");
    const flow = str(input, "AuthFlow");
    if (!flow) throw missingMember("authFlow");
    if (!clientId) throw missingMember("clientId");
    if (!AUTH_FLOWS.includes(flow))
      throw invalidParameter(
        `1 validation error detected: Value '${flow}' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [${AUTH_FLOWS.join(", ")}]`,
      );
    const client = pool.findClient(clientId);
    if (!client) throw clientNotFound(clientId);
    const params = (input.AuthParameters ?? {}) as Record<string, unknown>;
    const param = (name: string) => (typeof params[name] === "string" ? (params[name] as string) : undefined);

    if (flow === "USER_PASSWORD_AUTH") {
      if (!client.authFlows.includes("ALLOW_USER_PASSWORD_AUTH"))
        throw invalidParameter("USER_PASSWORD_AUTH flow not enabled for this client");
      const username = param("USERNAME");
      const password = param("PASSWORD");
      if (!username) throw invalidParameter("Missing required parameter USERNAME");
      if (!password) throw invalidParameter("Missing required parameter PASSWORD");
      checkSecretHash(client, param("SECRET_HASH"), [username]);
      const user = pool.findUser(username);
      if (!user) throw client.hidesUnknownUsers ? incorrectCredentials() : userNotFound();
      if (!sameSecret(password, user.password)) throw incorrectCredentials();
      const session = tokens.newSession(user, client, [ADMIN_SCOPE]);
      const issued = await tokens.issue(session, { idToken: true, refreshToken: true, atHash: false });
      log.info({ username: user.username, clientId }, "InitiateAuth: signed in");
      return authenticationResult(issued);
    }
    if (flow === "REFRESH_TOKEN_AUTH" || flow === "REFRESH_TOKEN") {
      if (!client.authFlows.includes("ALLOW_REFRESH_TOKEN_AUTH"))
        throw invalidParameter("REFRESH_TOKEN_AUTH flow not enabled for this client");
      const refreshToken = param("REFRESH_TOKEN");
      if (!refreshToken) throw invalidParameter("Missing required parameter REFRESH_TOKEN");
      const session = await tokens.openRefreshToken(refreshToken, client.clientId);
      if (!session) throw notAuthorized("Invalid Refresh Token");
      const user = pool.findUser(session.username);
      if (!user) throw notAuthorized("Invalid Refresh Token");
      // For refreshes Cognito hashes the user's sub or username, whichever the client sends.
      checkSecretHash(client, param("SECRET_HASH"), [user.username, user.sub, param("USERNAME") ?? ""]);
      const issued = await tokens.issue(session, { idToken: true, refreshToken: false, atHash: false });
      return authenticationResult(issued);
    }
    throw invalidParameter(
      `${flow} is not supported by the mock Cognito: use USER_PASSWORD_AUTH or REFRESH_TOKEN_AUTH`,
    );
  }

  async function GetUser(input: Input) {
    const token = str(input, "AccessToken");
    if (!token) throw missingMember("accessToken");
    const check = await tokens.checkAccessToken(token);
    if (!check.ok)
      throw notAuthorized(check.reason === "expired" ? "Access Token has expired" : "Invalid Access Token");
    if (!check.claims.scope.split(" ").includes(ADMIN_SCOPE))
      throw notAuthorized("Access Token does not have required scopes");
    const user: PoolUser | undefined = pool.findUser(check.claims.username);
    if (!user) throw userNotFound();
    return {
      Username: user.username,
      UserAttributes: [
        { Name: "email", Value: user.email },
        { Name: "email_verified", Value: "true" },
        { Name: "sub", Value: user.sub },
      ],
    };
  }

  const operations: Record<string, Operation> = { InitiateAuth, GetUser };

  const router = Router();
  router.post("/", express.text({ type: () => true, limit: "64kb" }), async (req, res) => {
    const target = req.get("x-amz-target") ?? "";
    const requestId = randomUUID();
    res.set({ "Content-Type": CONTENT_TYPE, "x-amzn-RequestId": requestId });
    try {
      const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : "";
      const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
      if (!operation) throw unknownOperation(target);
      const result = await operation(parseBody(req.body));
      res.status(200).send(Buffer.from(JSON.stringify(result)));
    } catch (err) {
      const error =
        err instanceof IdpError ? err : new IdpError("InternalErrorException", "Internal server error.", 500);
      if (!(err instanceof IdpError)) log.error({ err, target }, "cognito-idp operation failed");
      else log.info({ target, error: error.type, message: error.message }, "cognito-idp request refused");
      res
        .status(error.statusCode)
        .set("x-amzn-ErrorType", `${error.type}:`)
        .send(Buffer.from(JSON.stringify({ __type: error.type, message: error.message })));
    }
  });
  return router;
}

function authenticationResult(issued: Awaited<ReturnType<TokenService["issue"]>>) {
  return {
    AuthenticationResult: {
      AccessToken: issued.accessToken,
      ExpiresIn: issued.expiresIn,
      IdToken: issued.idToken,
      ...(issued.refreshToken ? { RefreshToken: issued.refreshToken } : {}),
      TokenType: "Bearer",
    },
    ChallengeParameters: {},
  };
}

/** SECRET_HASH = Base64(HMAC-SHA256(client secret, username + client id)); only for clients with a secret. */
function checkSecretHash(client: AppClient, given: string | undefined, usernames: string[]) {
  if (client.clientSecret === undefined) return;
  if (!given)
    throw notAuthorized(`Client ${client.clientId} is configured for secret but secret was not received`);
  const secret = client.clientSecret;
  const ok = usernames.some((u) => u && sameSecret(given, secretHash(secret, u, client.clientId)));
  if (!ok) throw notAuthorized(`Unable to verify secret hash for client ${client.clientId}`);
}

export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac("sha256", clientSecret)
    .update(username + clientId)
    .digest("base64");
}

function parseBody(body: unknown): Input {
  const text = typeof body === "string" ? body : "";
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serialization(
      "The request body is not valid JSON: send a JSON object (application/x-amz-json-1.1)",
    );
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw serialization("The request body must be a JSON object");
  return parsed as Input;
}

const str = (input: Input, name: string) =>
  typeof input[name] === "string" ? (input[name] as string) : undefined;
