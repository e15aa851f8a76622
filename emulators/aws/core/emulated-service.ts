import type { RequestContext } from "./context.ts";
import type { Persistable } from "./persistence.ts";
import type { HttpRequest, HttpResponse, RpcService } from "./service.ts";

/** What the server needs from each emulated service. */
export interface EmulatedService {
  name: string;
  /** JSON/query operations (SQS, later SNS, CloudWatch, Logs, EC2). */
  rpc?: RpcService;
  /** REST handler (S3). */
  rest?: (req: HttpRequest, ctx: RequestContext) => HttpResponse | Promise<HttpResponse>;
  /** State kept across restarts when a data directory is given. */
  persistence?: Persistable;
  /** Shown by `GET /_emulator/health`. */
  health(): Record<string, unknown>;
  /** Stop timers and wake long polls. */
  close?(): void;
}

/** Handed to every service factory: shared time, persistence sink, defaults. */
export interface ServiceDeps {
  clock: import("./context.ts").Clock;
  record(change: unknown): void;
  region: string;
  accountId: string;
}
