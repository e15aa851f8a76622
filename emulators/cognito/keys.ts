/**
 * The mock's key material: two RSA-2048 signing keys (ID tokens with one, access tokens with the
 * other, as Cognito does) and one AES-256 key that seals refresh tokens. With a data dir they are
 * kept in `<dataDir>/keys.json` (mode 0600) so tokens issued before a restart still verify and
 * refresh; without one they live in memory. Key ids look like Cognito's: standard base64 with
 * padding (here the SHA-256 JWK thumbprint of the public key).
 */

import type { KeyObject } from "node:crypto";
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";

export const KEYS_FILE = "keys.json";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The JWKS entry, in Cognito's member order. */
  jwk: { alg: "RS256"; e: string; kid: string; kty: "RSA"; n: string; use: "sig" };
}

export interface KeySet {
  idToken: SigningKey;
  accessToken: SigningKey;
  refreshToken: KeyObject;
  jwks(): { keys: SigningKey["jwk"][] };
}

interface StoredKeys {
  format: 1;
  idToken: JWK;
  accessToken: JWK;
  refreshToken: string;
}

/** Loads the keys from `dataDir`, creating and saving them on first use. */
export async function loadKeys(dataDir?: string): Promise<{ keys: KeySet; created: boolean; file?: string }> {
  if (!dataDir) return { keys: await toKeySet(generate()), created: true };
  const file = path.join(dataDir, KEYS_FILE);
  let stored: StoredKeys;
  let created = false;
  if (fs.existsSync(file)) {
    stored = readStored(file);
  } else {
    stored = generate();
    fs.mkdirSync(dataDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(stored)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
    created = true;
  }
  return { keys: await toKeySet(stored), created, file };
}

function generate(): StoredKeys {
  const rsa = () =>
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" }) as JWK;
  return {
    format: 1,
    idToken: rsa(),
    accessToken: rsa(),
    refreshToken: randomBytes(32).toString("base64url"),
  };
}

function readStored(file: string): StoredKeys {
  const fix = `delete ${file} to make new keys (tokens issued with the old ones stop verifying)`;
  let data: Partial<StoredKeys>;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StoredKeys>;
  } catch (err) {
    throw new Error(`${file} is not readable JSON (${(err as Error).message}): ${fix}`, { cause: err });
  }
  if (data.format !== 1 || !data.idToken?.d || !data.accessToken?.d || typeof data.refreshToken !== "string")
    throw new Error(`${file} does not hold the mock Cognito's keys (format 1): ${fix}`);
  return data as StoredKeys;
}

async function toKeySet(stored: StoredKeys): Promise<KeySet> {
  const idToken = await signingKey(stored.idToken);
  const accessToken = await signingKey(stored.accessToken);
  const refreshToken = createSecretKey(Buffer.from(stored.refreshToken, "base64url"));
  return { idToken, accessToken, refreshToken, jwks: () => ({ keys: [idToken.jwk, accessToken.jwk] }) };
}

async function signingKey(privateJwk: JWK): Promise<SigningKey> {
  const privateKey = createPrivateKey({ key: privateJwk as never, format: "jwk" });
  const publicKey = createPublicKey(privateKey);
  const pub = publicKey.export({ format: "jwk" }) as { e: string; n: string };
  const thumbprint = await calculateJwkThumbprint({ kty: "RSA", e: pub.e, n: pub.n }, "sha256");
  const kid = Buffer.from(thumbprint, "base64url").toString("base64");
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { alg: "RS256", e: pub.e, kid, kty: "RSA", n: pub.n, use: "sig" },
  };
}
