// Embeds the scripts that run on hosts (src/host-scripts/*.sh, *.bash, *.pl) into src/generated/host-scripts.ts at
// build time: they stay files of their own, which shellcheck reads (test/unit/host-scripts/lint.test.ts), and a
// run reads no file to send one. A script's name is its file name; hostScript() takes only names that exist.
// A shell script may take in a library of functions of the same folder with a line `# lading-include: lib.sh`
// (replaced by that file's text), since a script sent as `sh -c` cannot source. Each file's leading comment lines
// (shebang, what it takes) stay in the file and out of what is sent.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "src", "host-scripts");
const out = join(root, "src", "generated");
const names = (await readdir(dir)).filter((f) => /\.(sh|bash|pl)$/.test(f)).sort();
const scripts = {};
const texts = {};
for (const name of names) texts[name] = await readFile(join(dir, name), "utf8");
const body = (text) => text.replace(/^(#[^\n]*\n)+/, "");
for (const name of names) {
  scripts[name] = body(texts[name]).replace(/^# lading-include: (\S+)\n/gm, (_, lib) => {
    if (!(lib in texts)) throw new Error(`src/host-scripts/${name}: includes ${lib}, which is not in src/host-scripts/`);
    return body(texts[lib]);
  });
}
await mkdir(out, { recursive: true });
await writeFile(
  join(out, "host-scripts.ts"),
  `// Generated from src/host-scripts/ by scripts/gen-host-scripts.mjs. Do not edit.\n` +
    `/** The file name of every script under src/host-scripts/. */\n` +
    `export type HostScriptName = ${names.length ? names.map((n) => JSON.stringify(n)).join(" | ") : "never"};\n` +
    `/** Every host script's text, by file name. */\n` +
    `export const HOST_SCRIPTS: Readonly<Record<HostScriptName, string>> = ${JSON.stringify(scripts, null, 1)};\n`,
);
