// The logging shape the transports accept: pino's `(object, message)` calls,
// so a pino logger plugs in directly, without this package depending on one.
export interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const ignore = (): void => {};

/** The default: says nothing. */
export const silentLogger: Logger = { warn: ignore, info: ignore, debug: ignore };
