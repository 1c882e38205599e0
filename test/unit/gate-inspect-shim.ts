// The fake transports' view of the gate's inspect script (src/docker/engine-api.ts): tests script its answer as
// the docker CLI's `{{.State.Status}} {{health or none}}` line per check, as they did when the gate ran that
// CLI; the shim logs the call in that form and turns each answer into the JSON the real script prints.
import { INSPECT_NAME } from "../../src/docker/engine-api.js";

/** The names the inspect script asks for, when `argv` is that script. */
export function inspectScriptNames(argv: readonly string[]): string[] | undefined {
  return argv[0] === "sh" && argv[3] === INSPECT_NAME ? argv.slice(6) : undefined;
}

/** How the call is shown and answered in tests: the docker CLI command the gate used to run. */
export function cliFormOfInspect(names: readonly string[]): string[] {
  return ["docker", "inspect", "--format", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", ...names];
}

/**
 * The script's output for a scripted answer: one "status health" line answers for every name (the gate asked
 * the CLI once per container); several lines answer the names in order. No answer: no such container.
 */
export function inspectJsonOf(names: readonly string[], stdout: string): string {
  const lines = stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (!lines.length) return "";
  return names
    .map((name, i) => {
      const [status = "", health = "none"] = (lines[Math.min(i, lines.length - 1)] ?? "").split(" ");
      if (!status) return "";
      const state = { Status: status, Running: status === "running", StartedAt: "", ...(health === "none" ? {} : { Health: { Status: health } }) };
      return `${JSON.stringify({ Id: `${name}-id`, Name: `/${name}`, Image: "sha256:fake", Config: { Image: "fake", Labels: {} }, State: state })}\n`;
    })
    .join("");
}
