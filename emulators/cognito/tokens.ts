/**
 * Mints and checks tokens with Cognito's claims. ID tokens: `aud` = client id, `cognito:username`,
 * email, `at_hash` and `nonce` for the hosted-UI flow. Access tokens: no `aud`, `client_id`,
 * `scope`, `username`, `version: 2`. Both: `token_use`, `auth_time`, `jti`, `origin_jti`,
 * `event_id`, `cognito:groups` when the user has groups; header `{kid, alg: RS256}` with no `typ`.
 * Refresh tokens are opaque to clients: a JWE (dir, A256GCM) sealed with the mock's own key, so
 * they need no store and survive a restart on the same data dir.
 */
import { createHash, randomUUID } from "node:crypto";
import { EncryptJWT, errors, jwtDecrypt, jwtVerify, SignJWT } from "jose";
import { type Clock, epochSeconds } from "./clock.ts";
import type { KeySet } from "./keys.ts";
import type { AppClient, Pool, PoolUser } from "./pool.ts";

/** One sign-in: what a refresh token carries and every token of that sign-in repeats. */
export interface Session {
  username: string;
  clientId: string;
  scopes: string[];
  /** Seconds since the epoch. */
  authTime: number;
  originJti: string;
  eventId: string;
}

export interface IssueOptions {
  idToken: boolean;
  refreshToken: boolean;
  /** Hosted-UI flow: `at_hash` in the ID token. */
  atHash: boolean;
  nonce?: string | undefined;
}

export interface IssuedTokens {
  accessToken: string;
  idToken?: string;
  refreshToken?: string;
  /** Access token lifetime, seconds. */
  expiresIn: number;
}

export type AccessCheck =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: "expired" | "invalid"; message: string };

export interface AccessClaims {
  sub: string;
  username: string;
  client_id: string;
  scope: string;
  token_use: "access";
}

export interface TokenService {
  newSession(user: PoolUser, client: AppClient, scopes: string[]): Session;
  issue(session: Session, options: IssueOptions): Promise<IssuedTokens>;
  checkAccessToken(token: string): Promise<AccessCheck>;
  /** The session a refresh token seals, or undefined when it is not one of ours for this client. */
  openRefreshToken(token: string, clientId: string): Promise<Session | undefined>;
}

export function createTokenService(deps: {
  keys: KeySet;
  pool: Pool;
  issuer: string;
  clock: Clock;
}): TokenService {
  const { keys, pool, issuer, clock } = deps;
  const validity = pool.settings.tokenValidity;

  async function sign(payload: Record<string, unknown>, key: KeySet["idToken"], ttl: number) {
    const iat = epochSeconds(clock);
    return new SignJWT({ ...payload, iss: issuer, exp: iat + ttl, iat, jti: randomUUID() })
      .setProtectedHeader({ kid: key.kid, alg: "RS256" })
      .sign(key.privateKey);
  }

  return {
    newSession(user, client, scopes) {
      return {
        username: user.username,
        clientId: client.clientId,
        scopes,
        authTime: epochSeconds(clock),
        originJti: randomUUID(),
        eventId: randomUUID(),
      };
    },

    async issue(session, options) {
      const user = pool.findUser(session.username);
      if (!user) throw new Error(`user ${session.username} is no longer in the pool`);
      const groups = user.groups.length > 0 ? { "cognito:groups": user.groups } : {};
      const expiresIn = validity.accessTokenMinutes * 60;
      const accessToken = await sign(
        {
          sub: user.sub,
          ...groups,
          version: 2,
          client_id: session.clientId,
          origin_jti: session.originJti,
          event_id: session.eventId,
          token_use: "access",
          scope: session.scopes.join(" "),
          auth_time: session.authTime,
          username: user.username,
        },
        keys.accessToken,
        expiresIn,
      );
      const result: IssuedTokens = { accessToken, expiresIn };
      if (options.idToken) {
        result.idToken = await sign(
          {
            ...(options.atHash ? { at_hash: atHash(accessToken) } : {}),
            sub: user.sub,
            ...groups,
            email_verified: true,
            "cognito:username": user.username,
            ...(options.nonce !== undefined ? { nonce: options.nonce } : {}),
            origin_jti: session.originJti,
            aud: session.clientId,
            event_id: session.eventId,
            token_use: "id",
            auth_time: session.authTime,
            email: user.email,
          },
          keys.idToken,
          validity.idTokenMinutes * 60,
        );
      }
      if (options.refreshToken) {
        const now = epochSeconds(clock);
        result.refreshToken = await new EncryptJWT({ session })
          .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
          .setIssuer(issuer)
          .setIssuedAt(now)
          .setExpirationTime(now + validity.refreshTokenDays * 86_400)
          .encrypt(keys.refreshToken);
      }
      return result;
    },

    async checkAccessToken(token) {
      try {
        const { payload } = await jwtVerify(token, keys.accessToken.publicKey, {
          issuer,
          algorithms: ["RS256"],
          currentDate: new Date(clock.now()),
        });
        if (payload.token_use !== "access")
          return { ok: false, reason: "invalid", message: "is not an access token (token_use)" };
        return { ok: true, claims: payload as unknown as AccessClaims };
      } catch (err) {
        if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired", message: "has expired" };
        return { ok: false, reason: "invalid", message: `does not verify (${(err as Error).message})` };
      }
    },

    async openRefreshToken(token, clientId) {
      try {
        const { payload } = await jwtDecrypt(token, keys.refreshToken, {
          issuer,
          currentDate: new Date(clock.now()),
        });
        const session = payload.session as Session | undefined;
        return session?.clientId === clientId ? session : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** OIDC `at_hash`: base64url of the left half of SHA-256 of the access token. */
export function atHash(accessToken: string): string {
  return createHash("sha256").update(accessToken).digest().subarray(0, 16).toString("base64url");
}
