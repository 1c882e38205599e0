// The interface every connector (ssh, local) answers: run a command, put a file, close.

export interface ExecOptions {
  /** Bytes written to the command's stdin, then stdin is closed. The transport never logs it. */
  stdin?: Buffer | string;
  /** Kill the command and reject with HostError after this long. Overrides ConnectOptions.commandTimeoutMs. */
  timeoutMs?: number;
  /** Run through `sudo -n --` when the connection user is not root. Defaults to the target's `become`. */
  become?: boolean;
  /** No environment variables: secrets never travel in env, values travel in argv or stdin. */
  env?: never;
}

export interface ExecResult {
  /** Exit code, or null when the command was killed by a signal. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** A terminal for Transport.stream: the remote side gets a PTY of this size (stdout and stderr then merge). */
export interface PtyOptions {
  rows: number;
  cols: number;
  /** TERM of the remote terminal; default xterm-256color. */
  term?: string;
}

export interface StreamOptions {
  /** Run through `sudo -n --` when the connection user is not root. Defaults to the target's `become`. */
  become?: boolean;
  /** Allocate a PTY (interactive use: `lading exec -it`). */
  pty?: PtyOptions;
  /** Each chunk of the command's stdout as it arrives. */
  onStdout: (chunk: Buffer) => void;
  /** Each chunk of its stderr (nothing with a PTY: the terminal merges both). */
  onStderr?: (chunk: Buffer) => void;
  env?: never;
}

/** A running command whose output is read as it comes (logs -f, exec -it). */
export interface ExecStream {
  /** Resolves when the command ends, with its exit code (null: killed by a signal); rejects with HostError
   *  when the connection is lost under it. */
  done: Promise<{ code: number | null; signal?: string }>;
  /** Bytes for the command's stdin (a terminal's keystrokes). */
  write(data: Buffer | string): void;
  /** Closes the command's stdin. */
  end(): void;
  /** The local terminal changed size (PTY only). */
  resize(rows: number, cols: number): void;
  /** Stops the command (closes its channel; `done` then resolves, or rejects if the connection went). */
  stop(): void;
}

export interface PutFileOptions {
  /** Octal mode, e.g. "0644" or "600". */
  mode: string;
  /** "user" or "user:group"; left unchanged when absent. */
  owner?: string;
  /** Defaults to the target's `become`. */
  become?: boolean;
}

/** A file for Transport.putFiles. */
export interface FileToPut {
  path: string;
  content: Buffer | string;
  opts: PutFileOptions;
}

export interface TransportStats {
  /** Connections opened for this host (bastion hops not included). */
  connections: number;
  /** Command round trips (a putFile is one). */
  execs: number;
}

/**
 * One host's connection. `exec` resolves with any exit code (the caller judges); it rejects only when
 * the transport fails (connection lost, timeout, sudo refused) with HostError.
 */
export interface Transport {
  readonly host: string;
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Starts a command whose output is delivered as it arrives, over the same connection. Resolves once the
   * command runs; rejects with HostError when it cannot start (connection lost or closed).
   */
  stream(argv: readonly string[], opts: StreamOptions): Promise<ExecStream>;
  /** Atomic: the destination holds either its old content or the new content, whole. */
  putFile(path: string, content: Buffer | string, opts: PutFileOptions): Promise<void>;
  /**
   * Several files in one round trip, in order, each atomic as putFile's; stops at the first that fails
   * (rejecting with PutFilesError, src/transport/put-file.ts, which names the files written before it).
   * `then`: a command run in the same round trip once every file is in place; its result is returned.
   */
  putFiles(files: FileToPut[], opts?: { then?: readonly string[] }): Promise<ExecResult | undefined>;
  close(): Promise<void>;
  readonly stats: TransportStats;
}

/** Where and how to reach a host. Fields left out come from ~/.ssh/config, then OpenSSH's defaults. */
export interface SshTarget {
  /** The inventory name, used in messages and to match `Host` patterns of ~/.ssh/config. */
  name: string;
  /** Address to connect to; defaults to the config's HostName, then the name. */
  address?: string;
  /** Defaults to the config's Port, then 22. */
  port?: number;
  /** Defaults to the config's User, then the local user name. */
  user?: string;
  /** Private key file; when absent, the config's IdentityFile, then ~/.ssh/id_{ed25519,ecdsa,rsa}. */
  key?: string;
  /** known_hosts file for this host (ConnectOptions.knownHostsFile wins over it). */
  knownHosts?: string;
  connection: "ssh" | "local";
  become: boolean;
}

export interface ConnectOptions {
  /** Like OpenSSH's StrictHostKeyChecking=accept-new: an unknown host key is accepted and appended. */
  acceptNewHostKeys?: boolean;
  /** Default: the config's ConnectTimeout, then 10 s. */
  connectTimeoutMs?: number;
  /** Default time limit of every command; none when absent. */
  commandTimeoutMs?: number;
  /** Default: the config's ServerAliveInterval, then 15 s. */
  keepaliveIntervalMs?: number;
  /** Default ~/.ssh/config; a missing file is fine. */
  sshConfigFile?: string;
  /** Default: target.knownHosts, then the config's UserKnownHostsFile, then ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /**
   * SSH handshakes under way at once across a run (unauthenticated connections), default 8: below sshd's
   * MaxStartups (10), which drops new connections beyond it. --forks still bounds the hosts worked on.
   */
  maxHandshakes?: number;
}
