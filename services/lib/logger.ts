/**
 * The one way to make a logger: pino, one JSON object per line, level from `LOG_LEVEL`
 * (default info). `name` says which part of the platform wrote the line.
 */
import { type DestinationStream, type Logger, levels, pino } from "pino";

export type { Logger };

export interface LoggerOptions {
  /** Defaults to `LOG_LEVEL`, then `info`. */
  level?: string;
  env?: NodeJS.ProcessEnv;
  /** Where lines go; stdout when absent. */
  destination?: DestinationStream;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? options.env?.LOG_LEVEL ?? process.env.LOG_LEVEL ?? "info";
  if (level !== "silent" && !(level in levels.values)) {
    const known = [...Object.keys(levels.values), "silent"].join(", ");
    throw new Error(`LOG_LEVEL=${level} is not a log level: use one of ${known}`);
  }
  return pino(
    {
      name,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination(1),
  );
}
