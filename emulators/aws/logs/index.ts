/** Placeholder until the service lands: registered so the server wiring is in place. */
import type { EmulatedService, ServiceDeps } from "../core/emulated-service.ts";

export function createLogs(_deps: ServiceDeps): EmulatedService {
  return { name: "logs", health: () => ({}) };
}
