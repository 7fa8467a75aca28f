// Structured logs: one JSON object per line on stderr. Quiet by default:
// `info` carries only what an operator wants to see (starts, stops, state
// changes); the rest is `debug`. Set RBUS_LOG=debug|info|warn|error|silent.

export const LogLevel = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LogLevel;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function levelFromEnv(): LogLevel {
  const v = process.env.RBUS_LOG;
  return v && v in LogLevel ? (v as LogLevel) : "info";
}

export function createLogger(
  base: Record<string, unknown> = {},
  level: LogLevel = levelFromEnv(),
  write: (line: string) => void = (line) => process.stderr.write(line + "\n"),
): Logger {
  const min = LogLevel[level];
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>) => {
    if (LogLevel[lvl] < min) return;
    write(JSON.stringify({ t: new Date().toISOString(), level: lvl, ...base, msg, ...fields }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level, write),
  };
}

/** For client commands (consume, send…): only warnings and errors unless RBUS_LOG says otherwise. */
export function clientLogger(base: Record<string, unknown> = {}, quietLevel: LogLevel = "warn"): Logger {
  return createLogger(base, process.env.RBUS_LOG ? levelFromEnv() : quietLevel);
}

/** A logger that drops everything: the default for embedded actors and tests. */
export const silentLogger: Logger = createLogger({}, "silent");
