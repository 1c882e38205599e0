// The few error classes lading throws. The CLI catches them once and maps them to messages and exit codes.

/** Where in a user's file a problem is: file, 1-based line and column, and the path inside the document. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
  /** Path inside the document, e.g. `hosts/db1/ansible_port` (empty for the whole file). */
  path?: string;
}

/** One problem found in a user's input. */
export interface Problem extends SourceLocation {
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined && x !== "").join(":");
  const path = p.path ? ` ${p.path}:` : "";
  return `${where}:${path} ${p.message}`;
}

/** Bad input: one or more problems in the user's files. Nothing on any host is touched. */
export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InputError";
    this.problems = problems;
  }
}

/** Something on a host or the network failed (unreachable, command failed, timeout). */
export class HostError extends Error {
  readonly host: string;
  constructor(host: string, message: string, options?: { cause?: unknown }) {
    super(`${host}: ${message}`, options);
    this.name = "HostError";
    this.host = host;
  }
}

/** The lab could not be brought up or down; the message says what is missing and how to fix it. */
export class LabError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LabError";
  }
}
