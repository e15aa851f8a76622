/**
 * The gateway's one error type: an HTTP status, a stable machine-readable `error` code and, where
 * it helps the caller, a plain `message`. Middleware and routes throw it (or pass it to `next`)
 * and error-handler.ts writes it; anything else becomes a 500.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra response headers, e.g. Retry-After or WWW-Authenticate. */
  readonly headers: Readonly<Record<string, string>>;
  /** False when the body must be exactly `{"error": code}` (the contract's 403 and 429). */
  readonly exposeMessage: boolean;

  constructor(
    status: number,
    code: string,
    message: string,
    options: ErrorOptions & { headers?: Record<string, string>; exposeMessage?: boolean } = {},
  ) {
    super(message, options);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
    this.exposeMessage = options.exposeMessage ?? true;
  }

  body(): Record<string, string> {
    return this.exposeMessage ? { error: this.code, message: this.message } : { error: this.code };
  }
}
