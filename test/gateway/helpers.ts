/**
 * Shared set-up for the gateway tests: RSA keys and ID tokens signed with real crypto, a JWKS
 * server that can be taken down, and a whole gateway on an ephemeral port in front of our AWS
 * emulator (provisioned, with the access log group created).
 */
import { generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type CloudWatchLogsClient, CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { exportJWK, type JWK, type JWTPayload, SignJWT } from "jose";
import { type Emulator, type EmulatorOptions, startEmulator } from "../../emulators/aws/server.ts";
import { type Gateway, type GatewayOptions, startGateway } from "../../services/gateway/server.ts";
import { createLogsClient, createS3Client, createSqsClient } from "../../services/lib/aws-clients.ts";
import { loadConfig, type PlatformConfig } from "../../services/lib/config.ts";
import { createLogger } from "../../services/lib/logger.ts";
import { provision } from "../../services/lib/provision.ts";

export const POOL_ID = "us-east-1_GwTest123";
export const CLIENT_ID = "1example23456789abcdefghij";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

export async function makeKey(kid = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { kid, privateKey, publicKey, jwk };
}

export interface JwksServer {
  url: string;
  issuer: string;
  jwksUrl: string;
  /** Times the key set was fetched. */
  fetches: number;
  /** While true the server answers 500; `close()` makes the port refuse connections. */
  failing: boolean;
  close(): Promise<void>;
}

/** Serves `<url>/<POOL_ID>/.well-known/jwks.json` with the given public keys. */
export async function startJwks(keys: SigningKey[]): Promise<JwksServer> {
  const state = { fetches: 0, failing: false };
  const server = http.createServer((req, res) => {
    if (req.url !== `/${POOL_ID}/.well-known/jwks.json`) return void res.writeHead(404).end();
    state.fetches++;
    if (state.failing) return void res.writeHead(500).end("down");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${url}/${POOL_ID}`;
  return Object.assign(state, {
    url,
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A Cognito-shaped ID token, valid for an hour unless `claims` say otherwise. */
export async function idToken(
  key: SigningKey,
  issuer: string,
  claims: JWTPayload & Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: randomUUID(),
    aud: CLIENT_ID,
    iss: issuer,
    token_use: "id",
    "cognito:username": "alice",
    email: "alice@example.com",
    email_verified: true,
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

export interface Stack {
  config: PlatformConfig;
  emulator: Emulator;
  gateway: Gateway;
  close(): Promise<void>;
}

/** Emulator (provisioned, access log group created) + gateway on ephemeral ports. */
export async function startStack(
  gatewayOptions: Omit<GatewayOptions, "config" | "aws"> & { config?: PlatformConfig },
  emulatorOptions: EmulatorOptions = {},
): Promise<Stack> {
  const config = gatewayOptions.config ?? loadConfig();
  const emulator = await startEmulator({ ...emulatorOptions, port: 0 });
  const aws = { endpoint: emulator.url, region: config.region };
  await provision({ config, sqs: createSqsClient(aws), s3: createS3Client(aws) });
  await ensureLogGroup(createLogsClient(aws), config.logs.accessLogGroup);
  const gateway = await startGateway({
    logger: createLogger("gateway", { level: process.env.LOG_LEVEL ?? "silent" }),
    audience: [CLIENT_ID],
    ...gatewayOptions,
    config,
    aws,
    port: 0,
  });
  return {
    config,
    emulator,
    gateway,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}

export async function ensureLogGroup(logs: CloudWatchLogsClient, name: string): Promise<void> {
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  } catch (err) {
    if ((err as Error).name !== "ResourceAlreadyExistsException") throw err;
  }
}

/** InitiateAuth USER_PASSWORD_AUTH against the mock Cognito: the user's real tokens. */
export async function login(
  cognitoUrl: string,
  clientId: string,
  username: string,
  password: string,
): Promise<{ IdToken: string; AccessToken: string }> {
  const res = await fetch(`${cognitoUrl}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    }),
  });
  const body = (await res.json()) as { AuthenticationResult?: { IdToken: string; AccessToken: string } };
  if (!res.ok || !body.AuthenticationResult)
    throw new Error(`InitiateAuth ${res.status}: ${JSON.stringify(body)}`);
  return body.AuthenticationResult;
}
