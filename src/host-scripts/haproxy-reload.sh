#!/bin/sh
# Runs inside the HAProxy container, whose PID 1 is HAProxy's master (haproxy -W): checks the configuration
# file $2 lading just wrote, then reloads it without a restart. SIGUSR2 makes the master start new workers on
# the same listening sockets while the old ones finish the connections they hold: no connection is refused and
# none is cut. A configuration HAProxy refuses is never signalled: the running one stays. Waits until the admin
# socket $1 answers from a new worker.
set -eu
socket=$1
cfg=$2
if ! out=$(haproxy -c -q -f "$cfg" 2>&1); then
  printf 'HAProxy refuses the new configuration; the running one stays: %s\n' "$out" >&2
  exit 1
fi
worker() {
  printf 'show info\n' | socat -t 2 stdio "unix-connect:$socket" 2>/dev/null | sed -n 's/^Pid: //p'
}
before=$(worker || true)
kill -USR2 1
i=0
while [ "$i" -lt 100 ]; do
  now=$(worker || true)
  if [ -n "$now" ] && [ "$now" != "$before" ]; then
    printf 'reloaded: worker %s serves the new configuration\n' "$now"
    exit 0
  fi
  sleep 0.1
  i=$((i + 1))
done
printf 'no new HAProxy worker answered within 10 s of the reload (worker before: %s)\n' "${before:-none}" >&2
exit 1
