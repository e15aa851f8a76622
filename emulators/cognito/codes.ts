/**
 * Authorization codes of the hosted-UI flow: single use, valid 5 minutes, bound to the client,
 * the redirect_uri, the PKCE challenge and the nonce. In memory only: a restart voids open codes,
 * as a 5-minute code would soon be anyway.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.ts";
import type { Session } from "./tokens.ts";

/** Cognito: "The code is one-time and valid for 5 minutes" (authorization endpoint docs). */
export const CODE_TTL_MS = 5 * 60 * 1000;

export interface CodeGrant {
  session: Session;
  redirectUri: string;
  codeChallenge?: string | undefined;
  nonce?: string | undefined;
}

export interface CodeStore {
  issue(grant: CodeGrant): string;
  /** Removes the code whatever happens next (a failed exchange burns it too); undefined when unknown or expired. */
  take(code: string): CodeGrant | undefined;
}

export function createCodeStore(clock: Clock): CodeStore {
  const codes = new Map<string, CodeGrant & { expiresAt: number }>();
  return {
    issue(grant) {
      const now = clock.now();
      for (const [code, held] of codes) if (held.expiresAt <= now) codes.delete(code);
      const code = randomUUID();
      codes.set(code, { ...grant, expiresAt: now + CODE_TTL_MS });
      return code;
    },
    take(code) {
      const held = codes.get(code);
      if (!held) return undefined;
      codes.delete(code);
      return held.expiresAt > clock.now() ? held : undefined;
    },
  };
}
