/**
 * The AWS CLI, an independent client, as the tests run it against a local server: where `aws`
 * is, an environment that keeps the user's configuration out (a temp HOME holding the config
 * files, dummy credentials, no pager, no retries), and a run that reports exit code and output
 * instead of throwing.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `aws` in each PATH directory, in PATH order, whether or not it is there. */
export function awsInPathDirs(): string[] {
  return (process.env.PATH ?? "")
    .split(":")
    .filter(Boolean)
    .map((dir) => path.join(dir, "aws"));
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `aws` a shell would run: the first executable one on PATH, or undefined. */
export function findAwsCli(): string | undefined {
  return awsInPathDirs().find(isExecutable);
}

export interface IsolatedAwsEnv {
  env: NodeJS.ProcessEnv;
  /** Deletes the temp HOME. */
  remove(): void;
}

/**
 * An environment for the CLI with HOME, AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE in a new
 * temp dir (named `<tmpdir>/<prefix>XXXXXX`), dummy credentials in us-east-1, and only PATH (and
 * PYENV_ROOT, for a pyenv shim) taken from this process.
 */
export function isolatedAwsEnv(prefix: string): IsolatedAwsEnv {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
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
    AWS_EC2_METADATA_DISABLED: "true",
    LANG: "C.UTF-8",
  };
  return { env, remove: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/**
 * Runs `bin args` in `env`; resolves with the exit code (1 when the process could not be run or
 * was killed, e.g. by `timeoutMs`) and the output. No timeout when `timeoutMs` is left out.
 */
export function runAwsCli(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(bin, args, { env, timeout: timeoutMs ?? 0 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
