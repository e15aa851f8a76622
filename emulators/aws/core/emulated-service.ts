import type { RequestContext } from "./context.ts";
import type { Persistable } from "./persistence.ts";
import type { Ports } from "./ports.ts";
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
  /** Its own control routes, under `/_emulator/<name>/` (e.g. the SNS email outbox). */
  control?: (req: HttpRequest) => HttpResponse | Promise<HttpResponse> | undefined;
  /** The cross-service ports this service owns (see ports.ts). */
  provides?: Partial<Ports>;
  /** Stop timers and wake long polls. */
  close?(): void;
}

/** Handed to every service factory: shared time, persistence sink, defaults. */
export interface ServiceDeps {
  clock: import("./context.ts").Clock;
  record(change: unknown): void;
  region: string;
  accountId: string;
  /** Other services, reached only through these. */
  ports: Ports;
  settings: EmulatorSettings;
}

/** Tunables with AWS-like defaults; tests shorten them. */
export interface EmulatorSettings {
  /**
   * How often SQS publishes its AWS/SQS metrics. AWS reports them per minute; 5 s here so an alarm
   * with a 10-s period sees a change within two periods (publication lag + one evaluation).
   */
  sqsMetricsIntervalMs: number;
  /** EC2 state transition durations. */
  ec2: { pendingMs: number; stoppingMs: number; shuttingDownMs: number; rebootMs: number };
}

export const defaultSettings: EmulatorSettings = {
  sqsMetricsIntervalMs: 5_000,
  ec2: { pendingMs: 3_000, stoppingMs: 3_000, shuttingDownMs: 2_000, rebootMs: 2_000 },
};
