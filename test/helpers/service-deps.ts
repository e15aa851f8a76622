/** Dependencies for one emulated service built alone, outside a server (surface tests). */
import { type Clock, systemClock } from "../../emulators/aws/core/context.ts";
import { defaultSettings, type ServiceDeps } from "../../emulators/aws/core/emulated-service.ts";
import { createPorts } from "../../emulators/aws/core/ports.ts";

export function standaloneDeps(options: { accountId?: string; clock?: Clock } = {}): ServiceDeps {
  return {
    clock: options.clock ?? systemClock,
    record: () => {},
    region: "us-east-1",
    accountId: options.accountId ?? "000000000000",
    ports: createPorts().ports,
    settings: defaultSettings,
  };
}
