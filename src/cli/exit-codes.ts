// Documented exit codes (README "Exit codes"): the outcomes the core returns (src/run/outcome.ts), which only the
// CLI turns into the process's exit code.
export { OUTCOME as EXIT } from "../run/outcome.js";
