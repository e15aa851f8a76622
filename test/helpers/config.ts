import { expect } from "vitest";
import { ConfigError, parseConfig } from "../../services/lib/config.ts";

/** The problems parseConfig reports for `data` (fails when it accepts it or throws anything else). */
export function problems(data: unknown): string[] {
  try {
    parseConfig(data, "config/platform.json");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be rejected");
}
