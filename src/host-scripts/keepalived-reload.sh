#!/bin/sh
# Runs inside the keepalived container, whose PID 1 is keepalived: checks the configuration file $1 lading just
# wrote, then reloads it (SIGHUP) without a restart. An instance that holds the VIP and is still in the new
# configuration keeps it: the VIP does not move. A configuration keepalived refuses is never signalled.
set -eu
cfg=$1
if ! out=$(keepalived --config-test -f "$cfg" 2>&1); then
  printf 'keepalived refuses the new configuration; the running one stays: %s\n' "$out" >&2
  exit 1
fi
kill -HUP 1
# keepalived rereads its configuration in its children; a moment later they run again, or the reload failed.
sleep 1
if ! kill -0 1 2>/dev/null; then
  printf 'keepalived exited after the reload\n' >&2
  exit 1
fi
printf 'reloaded\n'
