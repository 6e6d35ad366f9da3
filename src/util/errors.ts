/**
 * Errors a user can cause or meet. Each carries the exit code the CLI uses (2: usage or config,
 * 1: runtime failure) and a message written for a person; the CLI prints only the message unless
 * DL_DEBUG=1.
 */
export class DlError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "DlError";
    this.exitCode = exitCode;
  }
}

/** Wrong command-line use: exit code 2. */
export class UsageError extends DlError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** Where in a configuration file a problem is. */
export interface SourceLocation {
  file?: string;
  line?: number;
  col?: number;
  /** Dotted key path, e.g. `algorithm.cost.corruptor.stdev`. */
  keyPath?: string;
}

/** A problem in an experiment file or override: exit code 2, located where possible. */
export class ConfigError extends DlError {
  readonly location: SourceLocation;
  readonly detail: string;
  constructor(detail: string, location: SourceLocation = {}) {
    super(formatLocated(detail, location), 2);
    this.name = "ConfigError";
    this.location = location;
    this.detail = detail;
  }
}

/** A tensor shape that an op cannot accept; names the op and the shapes. */
export class ShapeError extends DlError {
  constructor(message: string) {
    super(message, 1);
    this.name = "ShapeError";
  }
}

/** A file that is missing, truncated or not what it claims to be. */
export class FileFormatError extends DlError {
  constructor(message: string) {
    super(message, 1);
    this.name = "FileFormatError";
  }
}

export function formatLocated(detail: string, loc: SourceLocation): string {
  let where = "";
  if (loc.file) {
    where = loc.file;
    if (loc.line !== undefined) where += `:${loc.line}`;
    if (loc.line !== undefined && loc.col !== undefined) where += `:${loc.col}`;
  }
  const key = loc.keyPath ? `${loc.keyPath}: ` : "";
  return where ? `${where}: ${key}${detail}` : `${key}${detail}`;
}

/** Throws `ShapeError` with a lazily built message (the message is only formatted on failure). */
export function assertShape(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new ShapeError(message());
}
