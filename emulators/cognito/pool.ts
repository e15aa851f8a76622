/**
 * The user pool as the mock sees it: users (from `users` in config/platform.json) and app clients
 * (from `cognito.clients`). Read-only: the mock has no sign-up or admin API. A user's `sub` is a
 * UUID derived from the pool id and username, so it is stable across restarts and machines
 * without any stored state (real Cognito draws it at random once, at sign-up).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { PlatformConfig } from "../../services/lib/config.ts";

export type CognitoConfig = PlatformConfig["cognito"];
type ClientConfig = CognitoConfig["clients"][number];

export interface PoolUser {
  username: string;
  email: string;
  groups: string[];
  /** Stable UUID, the `sub` claim. */
  sub: string;
  password: string;
}

export interface AppClient extends ClientConfig {
  /** Has a secret: must authenticate at the token endpoint and send SECRET_HASH to InitiateAuth. */
  confidential: boolean;
  /** Cognito's PreventUserExistenceErrors=ENABLED (the default). */
  hidesUnknownUsers: boolean;
}

export interface Pool {
  id: string;
  settings: CognitoConfig;
  /** Case-insensitive, like a pool created with the console's default username settings. */
  findUser(username: string): PoolUser | undefined;
  findClient(clientId: string): AppClient | undefined;
}

export function createPool(config: Pick<PlatformConfig, "cognito" | "users">): Pool {
  const id = config.cognito.userPoolId;
  const users = new Map<string, PoolUser>();
  for (const u of config.users) {
    users.set(u.username.toLowerCase(), { ...u, groups: [...u.groups], sub: stableSub(id, u.username) });
  }
  const clients = new Map<string, AppClient>();
  for (const c of config.cognito.clients) {
    clients.set(c.clientId, {
      ...c,
      confidential: c.clientSecret !== undefined,
      hidesUnknownUsers: c.preventUserExistenceErrors ?? true,
    });
  }
  return {
    id,
    settings: config.cognito,
    findUser: (username) => users.get(username.toLowerCase()),
    findClient: (clientId) => clients.get(clientId),
  };
}

/** A version-4-shaped UUID from SHA-256(pool id, username). */
export function stableSub(poolId: string, username: string): string {
  const b = createHash("sha256").update(`${poolId}\n${username.toLowerCase()}`).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Constant-time comparison of two secrets of any length. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
