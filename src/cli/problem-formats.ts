// `validate`'s reports for CI systems, which show them inline on the changed line: GitHub Actions workflow
// commands, GitLab's code-quality report and JUnit XML. Pure builders from problems to text; the command prints.
import { createHash } from "node:crypto";
import { relative, isAbsolute } from "node:path";
import { formatProblem, type Problem } from "../errors.js";

export const VALIDATE_FORMATS = ["text", "json", "github", "gitlab", "junit"] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

/** A problem's file as CI systems want it: relative to the working directory (the repository's root in CI). */
function ciPath(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(cwd, file);
  return rel.startsWith("..") ? file : rel;
}

/** The message without its location (the annotation carries file and line). */
function messageOf(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

// GitHub's workflow command escaping: data escapes %, CR, LF; property values also ":" and ",".
const escapeData = (s: string): string => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");

/** One `::error file=..,line=..,col=..,title=..::message` line per problem (GitHub Actions annotations). */
export function githubAnnotations(problems: Problem[], cwd = process.cwd()): string {
  return problems
    .map((p) => {
      const props = [`file=${escapeProperty(ciPath(p.file, cwd))}`];
      if (p.line !== undefined) props.push(`line=${p.line}`);
      if (p.column !== undefined) props.push(`col=${p.column}`);
      props.push(`title=${escapeProperty("lading validate")}`);
      return `::error ${props.join(",")}::${escapeData(messageOf(p))}\n`;
    })
    .join("");
}

/**
 * GitLab's code-quality report (a JSON array of issues). The fingerprint hashes file, path and message but
 * not the line, so that a problem keeps its identity when lines above it move; equal problems get an ordinal.
 */
export function gitlabCodeQuality(problems: Problem[], cwd = process.cwd()): string {
  const seen = new Map<string, number>();
  const issues = problems.map((p) => {
    const path = ciPath(p.file, cwd);
    const key = `${path}\0${p.path ?? ""}\0${p.message}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return {
      description: messageOf(p),
      check_name: "lading-validate",
      fingerprint: createHash("sha256").update(`${key}\0${n}`).digest("hex"),
      severity: "major",
      location: { path, lines: { begin: p.line ?? 1 } },
    };
  });
  return `${JSON.stringify(issues, null, 2)}\n`;
}

const escapeXml = (s: string): string =>
  s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    // Characters XML 1.0 cannot hold at all (control characters from a broken file).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "\ufffd");

/** JUnit XML: one test case per file checked, failed with its problems (a problem of an unlisted file adds its case). */
export function junitXml(files: string[], problems: Problem[], ms: number, cwd = process.cwd()): string {
  const byFile = new Map<string, Problem[]>();
  for (const f of files) byFile.set(ciPath(f, cwd), []);
  for (const p of problems) {
    const f = ciPath(p.file, cwd);
    byFile.set(f, [...(byFile.get(f) ?? []), p]);
  }
  const failures = [...byFile.values()].filter((ps) => ps.length).length;
  const cases = [...byFile].map(([file, ps]) => {
    const open = `    <testcase classname="lading.validate" name="${escapeXml(file)}" file="${escapeXml(file)}"`;
    if (!ps.length) return `${open}/>`;
    const text = ps.map((p) => formatProblem({ ...p, file })).join("\n");
    const summary = `${ps.length} problem${ps.length === 1 ? "" : "s"}: ${messageOf(ps[0]!)}`;
    return `${open}>\n      <failure message="${escapeXml(summary)}" type="InputError">${escapeXml(text)}</failure>\n    </testcase>`;
  });
  const seconds = (ms / 1000).toFixed(3);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="lading validate" tests="${byFile.size}" failures="${failures}" time="${seconds}">`,
    `  <testsuite name="lading validate" tests="${byFile.size}" failures="${failures}" errors="0" time="${seconds}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
