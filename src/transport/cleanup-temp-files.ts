// Removes temporary files that cut-off putFile calls left behind (putFile also removes those of the
// same destination before it writes).
import { cleanupTempFilesWith } from "./put-file.js";
import type { Transport } from "./transport.js";

/** Removes every `.<name>.lading-tmp.*` file directly in `dir` on the transport's host; returns the count. */
export function cleanupTempFiles(transport: Transport, dir: string, opts: { become?: boolean } = {}): Promise<number> {
  return cleanupTempFilesWith((argv, o) => transport.exec(argv, o), transport.host, dir, opts.become);
}
