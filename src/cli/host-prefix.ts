// The "host | " prefix of lines that several hosts print (logs, exec --all): aligned, and coloured on a terminal
// unless CI or NO_COLOR is set, so that a log captured by CI stays plain text.
const COLOURS = [36, 33, 35, 32, 34, 31, 96, 93, 95, 92];

export function colourWanted(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env.CI && process.env.NO_COLOR === undefined;
}

/** A function giving each host's prefix, widths aligned to the longest name. */
export function hostPrefixer(hosts: string[], colour: boolean): (host: string) => string {
  const width = Math.max(0, ...hosts.map((h) => h.length));
  return (host) => {
    const i = hosts.indexOf(host);
    const name = host.padEnd(width);
    return colour ? `\u001b[${COLOURS[(i < 0 ? 0 : i) % COLOURS.length]}m${name}\u001b[0m | ` : `${name} | `;
  };
}
