/**
 * The CLI's one error type. Its message says what went wrong and what to do next (e.g.
 * "not logged in: run `tinyllama login`"); main prints it and exits with `exitCode`.
 */
export const EXIT = {
  ok: 0,
  /** The command failed (an API or login error, a failed job). */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** Not logged in, or the login expired and could not be renewed here. */
  auth: 3,
} as const;

export interface CliErrorOptions extends ErrorOptions {
  /** A bad command line: exit 2 and point at --help. */
  usage?: boolean;
  /** Logging in (again) is the fix: exit 3. */
  auth?: boolean;
  /** A stable code for `--json` output. @defaultValue "usage" | "auth" | "failed" */
  code?: string;
}

export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = options.usage ? EXIT.usage : options.auth ? EXIT.auth : EXIT.failed;
    this.code = options.code ?? (options.usage ? "usage" : options.auth ? "auth" : "failed");
  }
}

/** A connection failure to `url`, said plainly with the fix for the usual causes. */
export function unreachable(what: string, url: string, err: unknown, fix: string): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (err as Error).message;
  return new CliError(`cannot reach the ${what} at ${url} (${reason}): ${fix}`, {
    cause: err,
    code: "unreachable",
  });
}
