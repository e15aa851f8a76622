/**
 * The saved login: one JSON file holding the Cognito ID token and what the CLI shows about it
 * (user, expiry, where it came from). No refresh token and no access token are ever written: when
 * the ID token stops working the CLI logs in again (API-005). The file is created with mode 0600
 * in a 0700 directory, written to a temporary file first and renamed, so a crash never leaves half
 * a token and no other user can read it at any moment.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { CliError } from "./errors.ts";
import { decodeClaims } from "./oauth.ts";

export interface StoredLogin {
  idToken: string;
  /** `cognito:username` of the token. */
  username: string;
  /** ISO time of the token's `exp`. */
  expiresAt: string;
  /** The hosted-UI / OAuth base URL it was obtained from. */
  authUrl: string;
  clientId: string;
  /** How it was obtained. */
  method: "browser" | "password";
  savedAt: string;
}

export function loginFromToken(
  idToken: string,
  o: { authUrl: string; clientId: string; method: StoredLogin["method"]; now?: number },
): StoredLogin {
  const claims = decodeClaims(idToken);
  const exp = typeof claims.exp === "number" ? claims.exp : 0;
  const username =
    typeof claims["cognito:username"] === "string"
      ? claims["cognito:username"]
      : typeof claims.sub === "string"
        ? claims.sub
        : "unknown";
  return {
    idToken,
    username,
    expiresAt: new Date(exp * 1000).toISOString(),
    authUrl: o.authUrl,
    clientId: o.clientId,
    method: o.method,
    savedAt: new Date(o.now ?? Date.now()).toISOString(),
  };
}

export async function saveLogin(file: string, login: StoredLogin): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  // "wx" + 0600: created for this user only (the umask can only remove bits), never an existing file.
  const handle = await fs.open(temp, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(login, null, 2)}\n`);
    await handle.chmod(0o600);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/** The saved login, or undefined when there is none. A damaged file says how to recover. */
export async function loadLogin(file: string): Promise<StoredLogin | undefined> {
  let raw: string;
  try {
    raw = await fs.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CliError(
      `cannot read the saved login ${file} (${(err as Error).message}): run \`tinyllama login\``,
      {
        cause: err,
        auth: true,
      },
    );
  }
  try {
    const data = JSON.parse(raw) as Partial<StoredLogin>;
    if (typeof data.idToken !== "string" || !data.idToken) throw new Error("no idToken");
    return data as StoredLogin;
  } catch (err) {
    throw new CliError(`the saved login ${file} is damaged: run \`tinyllama login\` to replace it`, {
      cause: err,
      auth: true,
    });
  }
}

/** Deletes the saved login; true when there was one. */
export async function deleteLogin(file: string): Promise<boolean> {
  try {
    await fs.rm(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw new CliError(`cannot delete ${file} (${(err as Error).message}): delete it yourself`, {
      cause: err,
    });
  }
}
