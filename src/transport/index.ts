// The transport's public surface: what the apply engine, the facts gatherer and the CLI use.
export { quoteArg, quoteArgv } from "./quote.js";
export type { ConnectOptions, ExecOptions, ExecResult, ExecStream, FileToPut, PtyOptions, StreamOptions, PutFileOptions, SshTarget, Transport, TransportStats } from "./transport.js";
export { PutFilesError } from "./put-file.js";
export { connect, JumpConnections } from "./connect.js";
export { DEFAULT_MAX_HANDSHAKES, HandshakeLimiter, type HandshakeLimits } from "./handshake-limiter.js";
export { ConnectionPool, DEFAULT_FORKS, forEachHost, type ConnectionFailure } from "./connection-pool.js";
export { LocalTransport } from "./local-transport.js";
export { SshTransport } from "./ssh-transport.js";
export { cleanupTempFiles } from "./cleanup-temp-files.js";
export { fingerprintSha256, knownHostName } from "./known-hosts.js";
