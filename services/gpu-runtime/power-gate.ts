/**
 * The power gate: a **local adapter**. On AWS the runtime runs on the GPU instance, so it exists
 * only while the instance runs. Locally the runtime is an ordinary process, so the gate makes it
 * follow its emulated instance instead: it finds the instance by its Name tag, polls
 * DescribeInstances (every 250 ms by default) and reports `running` when the instance is
 * `running`, `waiting` in every other state (pending, stopping, stopped, none). `runtime.ts`
 * loads the model and consumes on `running`, and gives the in-flight job back and unloads on
 * `waiting`. Off on AWS (GPU_RUNTIME_POWER_GATE unset); `make dev` turns it on.
 */
import type { EC2Client } from "@aws-sdk/client-ec2";
import { describeGpuInstance } from "../lib/gpu-instance.ts";
import type { Logger } from "../lib/logger.ts";

export type GateState = "waiting" | "running";

export interface ObservedInstance {
  instanceId: string;
  /** EC2 state name: pending, running, stopping, stopped, shutting-down. */
  state: string;
  /** LaunchTime (the last start), epoch ms. */
  launchTime: number | undefined;
}

export interface PowerGateOptions {
  ec2: EC2Client;
  nameTag: string;
  /** @defaultValue 250 */
  pollMs?: number;
  logger: Logger;
  /** Called on every change of gate state, in order. */
  onChange: (state: GateState, instance: ObservedInstance | undefined) => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

export class PowerGate {
  readonly #o: PowerGateOptions;
  readonly #now: () => number;
  #state: GateState = "waiting";
  #instance: ObservedInstance | undefined;
  #runningAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failing = false;

  constructor(options: PowerGateOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  get state(): GateState {
    return this.#state;
  }

  get instance(): ObservedInstance | undefined {
    return this.#instance;
  }

  /** When the instance was first seen `running` in its current run. */
  get runningAt(): number | undefined {
    return this.#runningAt;
  }

  /** Looks once (so the state is known when this resolves), then keeps polling. */
  async start(): Promise<void> {
    await this.#poll();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#poll().finally(() => this.#schedule());
    }, this.#o.pollMs ?? 250);
  }

  async #poll(): Promise<void> {
    let found: ObservedInstance | undefined;
    try {
      const i = await describeGpuInstance(this.#o.ec2, this.#o.nameTag);
      if (i?.InstanceId)
        found = {
          instanceId: i.InstanceId,
          state: i.State?.Name ?? "unknown",
          launchTime: i.LaunchTime?.getTime(),
        };
      if (this.#failing) this.#o.logger.info("DescribeInstances answers again");
      this.#failing = false;
    } catch (err) {
      // Keep the last known state: an unreachable EC2 API says nothing about the instance.
      if (!this.#failing)
        this.#o.logger.warn({ err }, "DescribeInstances failed; keeping the last known state");
      this.#failing = true;
      return;
    }
    if (this.#stopped) return;
    const before = this.#instance;
    this.#instance = found;
    if (found?.state !== before?.state)
      this.#o.logger.info(
        { instanceId: found?.instanceId, state: found?.state ?? "none", was: before?.state ?? "none" },
        found ? `GPU instance ${found.state}` : `no GPU instance tagged Name=${this.#o.nameTag}`,
      );
    const next: GateState = found?.state === "running" ? "running" : "waiting";
    if (next === this.#state) return;
    this.#state = next;
    this.#runningAt = next === "running" ? this.#now() : undefined;
    this.#o.onChange(next, found);
  }
}
