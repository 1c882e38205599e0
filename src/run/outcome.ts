// How a run ended, as a number: the documented exit codes (README "Exit codes"). The core returns them; only the
// CLI sets them as the process's exit code, and `lading serve` reports them as a run's outcome.
// `plan` and `check` use `changes` like terraform's -detailed-exitcode.
export const OUTCOME = {
  ok: 0,
  /** A run failed on a host, or the lab could not be brought up. */
  failed: 1,
  /** plan: changes pending; check: drift found. */
  changes: 2,
  /** Bad input in the deployment's files: nothing was touched. */
  input: 3,
  /** Bad command-line usage. */
  usage: 64,
  /** A bug in lading. */
  internal: 70,
} as const;

/** One of OUTCOME's values. */
export type Outcome = number;
