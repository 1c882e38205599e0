#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ after `npm run build`.
import { main } from "../dist/src/cli/main.js";
// `lading params | head`: a reader that went away is not an error.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});
main(process.argv).then((code) => { process.exitCode = code; });
